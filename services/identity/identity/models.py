"""Imports every model of the service so that `Base.metadata` is complete (alembic, tests)."""

from __future__ import annotations

from identity.accounts import models as accounts_models
from identity.admins import models as admins_models
from identity.audit import models as audit_models
from identity.database import Base, platform_tables
from identity.enterprises import models as enterprises_models
from identity.grants import models as grants_models
from identity.keys import models as keys_models
from identity.representatives import models as representatives_models
from identity.sessions import models as sessions_models
from identity.sms import models as sms_models
from identity.sso import models as sso_models
from identity.wechat import models as wechat_models

metadata = Base.metadata

__all__ = [
    "Base",
    "accounts_models",
    "admins_models",
    "audit_models",
    "enterprises_models",
    "grants_models",
    "keys_models",
    "metadata",
    "platform_tables",
    "representatives_models",
    "sessions_models",
    "sms_models",
    "sso_models",
    "wechat_models",
]
