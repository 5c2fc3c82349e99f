"""Imports every model of the service so that `Base.metadata` is complete (alembic, tests)."""

from __future__ import annotations

from registry.buildings.models import Building, BuildingJurisdiction
from registry.communities.models import Community
from registry.database import Base, platform_tables
from registry.enterprises.models import Enterprise, EnterpriseStatusPeriod, Headcount, Occupancy
from registry.policies.models import Policy, PolicyAnswer, PolicyMatch

metadata = Base.metadata

__all__ = [
    "Base",
    "Building",
    "BuildingJurisdiction",
    "Community",
    "Enterprise",
    "EnterpriseStatusPeriod",
    "Headcount",
    "Occupancy",
    "Policy",
    "PolicyAnswer",
    "PolicyMatch",
    "metadata",
    "platform_tables",
]
