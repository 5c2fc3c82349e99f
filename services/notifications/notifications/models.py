"""Imports every model of the service so that `Base.metadata` is complete (alembic, tests)."""

from __future__ import annotations

from notifications.database import Base, platform_tables
from notifications.dispatch import models as dispatch_models
from notifications.inbox import models as inbox_models
from notifications.preferences import models as preferences_models
from notifications.subscriptions import models as subscriptions_models

metadata = Base.metadata

__all__ = [
    "Base",
    "dispatch_models",
    "inbox_models",
    "metadata",
    "platform_tables",
    "preferences_models",
    "subscriptions_models",
]
