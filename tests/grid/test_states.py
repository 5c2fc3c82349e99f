"""Each status set and transition table is defined once, and everything else agrees with it."""

from __future__ import annotations

from typing import get_args

from sqlalchemy import CheckConstraint

from grid.campaigns import states as campaign_states
from grid.campaigns.models import Campaign
from grid.events import transitions as events
from grid.events.models import GridEvent
from grid.hazards import states as hazards
from grid.hazards.models import Hazard


def _check(model: type, name: str) -> str:
    constraints = [c for c in model.__table__.constraints if isinstance(c, CheckConstraint)]  # type: ignore[attr-defined]
    found = [str(c.sqltext) for c in constraints if str(c.name).endswith(name)]
    assert len(found) == 1, found
    return found[0]


def test_every_action_of_a_table_is_a_schema_action_and_leads_between_known_statuses() -> None:
    assert set(get_args(events.EventAction)) == set(events.EVENT_TRANSITIONS)
    assert set(get_args(hazards.HazardAction)) == set(hazards.HAZARD_TRANSITIONS)
    for step in events.EVENT_TRANSITIONS.values():
        assert set(step.sources) <= set(events.OPEN_STATUSES)
        assert step.target is None or step.target in events.EVENT_STATUSES
    for hazard_step in hazards.HAZARD_TRANSITIONS.values():
        assert {*hazard_step.sources, hazard_step.target} <= set(hazards.HAZARD_STATUSES)
    assert set(events.LATE_STATUSES) <= set(events.OPEN_STATUSES)
    assert set(hazards.OVERDUE_STATUSES) <= set(hazards.OPEN_STATUSES) <= set(hazards.HAZARD_STATUSES)


def test_the_database_checks_are_built_from_the_same_sets() -> None:
    assert _check(GridEvent, "status") == "status IN ('" + "', '".join(events.EVENT_STATUSES) + "')"
    assert _check(Hazard, "status") == "status IN ('" + "', '".join(hazards.HAZARD_STATUSES) + "')"
    assert _check(Campaign, "status") == "status IN ('active', 'ended')"
    assert campaign_states.CAMPAIGN_STATUSES == ("active", "ended")
