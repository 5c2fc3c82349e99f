"""The requests schema: declarative base, metadata and the platform tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import DeclarativeBase

from service_requests.webhooks.tables import define_webhook_tables
from shared.db import TYPE_ANNOTATION_MAP, service_metadata
from shared.platform_tables import define_platform_tables

SCHEMA = "requests"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map: dict[Any, Any] = TYPE_ANNOTATION_MAP


platform_tables = define_platform_tables(Base.metadata)
webhook_tables = define_webhook_tables(Base.metadata)
