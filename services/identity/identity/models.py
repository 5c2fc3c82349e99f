"""Imports every model of the service so that `Base.metadata` is complete (alembic, tests)."""

from __future__ import annotations

from identity.accounts import models as accounts_models
from identity.admins import models as admins_models
from identity.audit import models as audit_models
from identity.database import Base, platform_tables
from identity.keys import models as keys_models
from identity.sessions import models as sessions_models
from identity.sso import models as sso_models

metadata = Base.metadata

__all__ = [
    "Base",
    "accounts_models",
    "admins_models",
    "audit_models",
    "keys_models",
    "metadata",
    "platform_tables",
    "sessions_models",
    "sso_models",
]
