"""Imports every model of the service so that `Base.metadata` is complete (alembic, tests)."""

from __future__ import annotations

from service_requests.activities.models import Activity, Enrollment
from service_requests.attachments.models import RequestAttachment
from service_requests.calendar.models import CalendarDay, CalendarState, CalendarYear
from service_requests.catalogue.models import ServiceType
from service_requests.database import Base, platform_tables
from service_requests.requests.models import RequestEvent, ServiceRequest

metadata = Base.metadata

__all__ = [
    "Activity",
    "Base",
    "CalendarDay",
    "CalendarState",
    "CalendarYear",
    "Enrollment",
    "RequestAttachment",
    "RequestEvent",
    "ServiceRequest",
    "ServiceType",
    "metadata",
    "platform_tables",
]
