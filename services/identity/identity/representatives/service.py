"""`enterprise_rep` from the registry's representative record (issue 16, "grants").

The registry says who represents an enterprise: a phone, a subject (an account id) and a last
day. The account whose id is the subject, or else whose *verified* phone is the phone, holds
`enterprise_rep` for that enterprise until the end of that day (Asia/Shanghai); a change in the
registry (its feed, mirrored in `identity.representative`) moves or ends the grant, and a phone
proved at sign-in (`accounts.service.on_phone_verified`) picks up the records that name it.

An account found by its phone is then bound in the registry (its id becomes the record's
subject, `PUT /internal/enterprises/{id}/representative/subject`), so the elections service,
which checks the subject on the roll, lets that account cast. The binding goes out through the
registry's feed like any other change, and comes back here to change nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import httpx
import structlog
from fastapi import FastAPI

from identity.accounts.phones import normalise_phone
from identity.accounts.repository import AccountRepository
from identity.audit.repository import AuditRepository
from identity.database import platform_tables
from identity.enterprises.service import refresh_communities
from identity.representatives.models import Representative
from identity.representatives.repository import REGISTRY, RepresentativeRepository
from identity.settings import Settings
from shared.clients import service_client, service_headers
from shared.dates import BUSINESS_ZONE, business_today
from shared.outbox import FeedConsumer, FeedEvent
from shared.uow import UnitOfWork

logger = structlog.get_logger("identity.representatives")
SITE_EVENTS = frozenset({"OccupancyStarted", "OccupancyEnded"})


def _phone(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    try:
        return normalise_phone(text)
    except ValueError:  # not a mainland mobile: no phone can prove it
        return None


def _date(text: object) -> dt.date | None:
    return dt.date.fromisoformat(text) if isinstance(text, str) else None


def end_of(day: dt.date | None) -> dt.datetime | None:
    """The grant's end: the first moment after the record's last day."""
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), BUSINESS_ZONE)


async def on_registry_event(uow: UnitOfWork, event: FeedEvent) -> None:
    """The feed handler: a representative change moves the grant; a site change the token's communities."""
    if event.type in SITE_EVENTS:
        await refresh_communities(uow, event.aggregate_id)
        return
    if event.type != "RepresentativeChanged":
        return
    payload = event.payload
    subject = payload.get("user_subject")
    record = await uow.repository(RepresentativeRepository).record(
        event.aggregate_id,
        _phone(payload.get("phone")),
        subject if isinstance(subject, str) and subject else None,
        _date(payload.get("valid_until")),
        event.seq,
    )
    if record is not None:
        await sync_enterprise(uow, record)


async def sync_account(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    """Bring the grants of every record naming the account (subject or phone) up to date.

    The registry is asked first for the records naming the phone, so a representative registered
    a moment ago can sign in before the feed has brought the record here."""
    account = await uow.repository(AccountRepository).get(account_id)
    if account is None:
        return
    if account.phone is not None:
        await _fetch_records(uow, account.phone)
    for record in await uow.repository(RepresentativeRepository).naming(account_id, account.phone):
        await sync_enterprise(uow, record)


async def sync_enterprise(uow: UnitOfWork, record: Representative) -> None:
    """The enterprise's registry grant goes to the record's holder, or to nobody."""
    representatives = uow.repository(RepresentativeRepository)
    audit = uow.repository(AuditRepository)
    holder = await representatives.subject_account(record.user_subject)
    found_by_phone = False
    if holder is None:
        holder = await representatives.phone_account(record.phone)
        found_by_phone = holder is not None
    valid = record.valid_until is None or record.valid_until >= business_today()
    until = end_of(record.valid_until)
    detail = {"role": "enterprise_rep", "source": REGISTRY, "enterprise_id": str(record.enterprise_id)}
    for grant in await representatives.registry_grants(record.enterprise_id):
        if grant.account_id != holder or grant.valid_until != until or not valid:
            await representatives.revoke(grant.id)
            audit.add(REGISTRY, "role_revoked", account_id=grant.account_id, source_ip=None, detail=detail)
    if holder is None or not valid:
        return
    if await representatives.grant(holder, record.enterprise_id, until):
        await refresh_communities(uow, record.enterprise_id)
        audit.add(REGISTRY, "role_granted", account_id=holder, source_ip=None, detail=detail)
    if found_by_phone and record.phone is not None:
        await bind_subject(uow, record.enterprise_id, record.phone, holder)


async def _fetch_records(uow: UnitOfWork, phone: str) -> None:
    settings: Settings = uow.app.state.settings
    client: httpx.AsyncClient = uow.app.state.registry_client
    try:
        response = await client.get(
            "/internal/enterprises/representatives",
            params={"phone": phone},
            headers=service_headers("identity", settings.internal_token_secret.get_secret_value()),
        )
        response.raise_for_status()
        items = response.json()["items"]
    except (httpx.HTTPError, ValueError, KeyError) as exc:  # the mirror (the feed's) still answers
        logger.warning("representative_lookup_failed", error=type(exc).__name__)
        return
    representatives = uow.repository(RepresentativeRepository)
    for item in items:
        subject = item.get("user_subject")
        await representatives.record_current(
            uuid.UUID(item["enterprise_id"]),
            _phone(item.get("phone")),
            subject if isinstance(subject, str) and subject else None,
            _date(item.get("valid_until")),
        )


async def bind_subject(uow: UnitOfWork, enterprise_id: uuid.UUID, phone: str, account_id: uuid.UUID) -> None:
    """Make the account the record's subject in the registry; a failure is logged and retried at the
    next sign-in or feed event (the grant stands meanwhile)."""
    settings: Settings = uow.app.state.settings
    client: httpx.AsyncClient = uow.app.state.registry_client
    try:
        response = await client.put(
            f"/internal/enterprises/{enterprise_id}/representative/subject",
            json={"phone": phone, "user_subject": str(account_id)},
            headers=service_headers("identity", settings.internal_token_secret.get_secret_value()),
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        logger.warning("representative_binding_failed", enterprise_id=str(enterprise_id), error=type(exc).__name__)


def registry_client(
    app: FastAPI, transport: httpx.AsyncBaseTransport | None = None
) -> contextlib.AbstractAsyncContextManager[None]:
    """The app resource: `app.state.registry_client` (the feed and the bindings use it)."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        async with service_client(settings.registry_url, transport=transport) as client:
            app.state.registry_client = client
            yield

    return opened()


def feed_consumer(app: FastAPI) -> FeedConsumer:
    settings: Settings = app.state.settings
    return FeedConsumer.of_app(
        app,
        source="registry",
        client=app.state.registry_client,
        consumer_name="identity",
        cursor_table=platform_tables.feed_cursor,
        on_event=on_registry_event,
        poll_seconds=settings.registry_feed_poll_seconds,
    )


async def registry_feed(app: FastAPI) -> None:
    """The background task: the registry's feed, when enabled (tests poll by hand)."""
    settings: Settings = app.state.settings
    if settings.consume_registry_feed:
        await feed_consumer(app).run()
