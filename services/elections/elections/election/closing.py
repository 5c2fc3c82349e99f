"""ElectionClosingSoon: 24 hours before a round's announced close, the enterprises that have not voted."""

from __future__ import annotations

import datetime as dt

from elections.election.ballots import voter_link
from elections.election.journal import fan_out
from elections.election.repository import BallotRepository, ElectionRepository
from shared.uow import UnitOfWork

CLOSING_SOON = dt.timedelta(hours=24)


async def notice_closing_soon(uow: UnitOfWork, now: dt.datetime) -> int:
    """Once per round closing within 24 hours: the entitled enterprises without a counted ballot, by id.

    Who voted is found only through the round's keyed voter links, as the cast does; no ballot is read.
    """
    elections = uow.repository(ElectionRepository)
    ballots = uow.repository(BallotRepository)
    claimed = await elections.claim_closing_notices(now, CLOSING_SOON)
    for election in claimed:
        key = await elections.secret(election.id)
        voted = await ballots.voter_links(election.id, election.current_round)
        waiting = [
            str(enterprise_id)
            for enterprise_id in await elections.entitled_enterprises(election.id)
            if key is None or voter_link(key, election.id, election.current_round, enterprise_id) not in voted
        ]
        await fan_out(uow, election, "ElectionClosingSoon", waiting)
    return len(claimed)
