"""The SMS challenge's SQL: each statement autocommits, so a wrong try counts even though the
request that made it fails, and the row lock of one statement orders concurrent sends and tries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from identity.sms.models import DAILY_SENDS, MAX_WRONG_TRIES
from shared.dates import BUSINESS_ZONE
from shared.uow import Repository

_TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"

# A new code replaces the phone's last one, unless the last was sent under `$4` seconds ago or
# the phone has had its codes today: the row lock makes concurrent sends wait, then see the winner's.
_SEND = f"""
INSERT INTO identity.sms_challenge AS c
    (phone, code_digest, expires_at, wrong_tries, consumed_at, last_sent_at, sent_on, sent_that_day)
VALUES ($1, $2, now() + make_interval(secs => $3), 0, NULL, now(), {_TODAY}, 1)
ON CONFLICT (phone) DO UPDATE SET
    code_digest = excluded.code_digest, expires_at = excluded.expires_at, wrong_tries = 0,
    consumed_at = NULL, last_sent_at = excluded.last_sent_at,
    sent_that_day = CASE WHEN c.sent_on = excluded.sent_on THEN c.sent_that_day + 1 ELSE 1 END,
    sent_on = excluded.sent_on
WHERE c.last_sent_at <= now() - make_interval(secs => $4)
  AND (c.sent_on <> excluded.sent_on OR c.sent_that_day < {DAILY_SENDS})
RETURNING true
"""

# One try: the right code consumes the challenge, a wrong one counts; a used, expired or dead
# (five wrong tries) challenge matches no row. Of concurrent tries, the row lock lets one decide.
_TRY = f"""
UPDATE identity.sms_challenge SET
    wrong_tries = wrong_tries + CASE WHEN code_digest = $2 THEN 0 ELSE 1 END,
    consumed_at = CASE WHEN code_digest = $2 THEN now() END
WHERE phone = $1 AND consumed_at IS NULL AND expires_at > clock_timestamp() AND wrong_tries < {MAX_WRONG_TRIES}
RETURNING consumed_at IS NOT NULL
"""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a send was refused, and in how many seconds the next may go."""

    daily: bool
    retry_after: int


class SmsRepository(Repository):
    async def replace_code(self, phone: str, digest: bytes, *, lifetime: int, resend_after: int) -> Refusal | None:
        """Store a new code for `phone`; None when stored, else why not."""
        async with self.hot() as connection:
            if await connection.fetchval(_SEND, phone, digest, float(lifetime), float(resend_after)):
                return None
            row = await connection.fetchrow(
                f"SELECT last_sent_at, sent_on = {_TODAY} AND sent_that_day >= {DAILY_SENDS} AS daily,"
                " now() AS now FROM identity.sms_challenge WHERE phone = $1",
                phone,
            )
        if row is None:  # deleted in between: nothing to wait for
            return Refusal(daily=False, retry_after=1)
        if row["daily"]:
            return Refusal(daily=True, retry_after=_seconds_to_midnight(row["now"]))
        waited = (row["now"] - row["last_sent_at"]).total_seconds()
        return Refusal(daily=False, retry_after=max(1, int(resend_after - waited) + 1))

    async def kill(self, phone: str, digest: bytes) -> None:
        """The code could not be delivered: it never works (the send still counts)."""
        async with self.hot() as connection:
            await connection.execute(
                "UPDATE identity.sms_challenge SET expires_at = now() WHERE phone = $1 AND code_digest = $2",
                phone,
                digest,
            )

    async def try_code(self, phone: str, digest: bytes) -> bool:
        """True once, for the right code of a live challenge."""
        async with self.hot() as connection:
            return bool(await connection.fetchval(_TRY, phone, digest))


def _seconds_to_midnight(now: dt.datetime) -> int:
    local = now.astimezone(BUSINESS_ZONE)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), BUSINESS_ZONE)
    return max(1, int((midnight - local).total_seconds()))
