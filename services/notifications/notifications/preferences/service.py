"""Per-person channels per kind (the inbox always; urgent kinds are not the person's choice)."""

from __future__ import annotations

from notifications import rules
from notifications.inbox.exceptions import ChannelNotOffered, KindNotConfigurable
from notifications.preferences.repository import PreferenceRepository
from notifications.preferences.schemas import KindRead, PreferenceWrite
from shared.auth import Identity
from shared.uow import UnitOfWork


def _read(rule: rules.Rule, chosen: list[str] | None) -> KindRead:
    optional = list(rule.optional_channels)
    return KindRead(
        kind=rule.kind,
        summary=rule.summary,
        urgent=rule.urgent,
        channels=list(rule.channels),
        optional_channels=optional,
        chosen=[channel for channel in optional if chosen is None or channel in chosen],
    )


async def kinds(uow: UnitOfWork, identity: Identity) -> list[KindRead]:
    mine = await uow.repository(PreferenceRepository).of(identity.subject)
    return [_read(rule, mine.get(rule.kind)) for rule in rules.RULES]


async def choose(uow: UnitOfWork, identity: Identity, kind: str, body: PreferenceWrite) -> KindRead:
    rule = rules.RULES_BY_KIND[kind]  # the path's enumeration admits only known kinds
    if rule.urgent:
        raise KindNotConfigurable(errors=[{"detail": "urgent notices reach everyone", "parameter": "kind"}])
    for index, channel in enumerate(body.channels):
        if channel not in rule.optional_channels:
            raise ChannelNotOffered(errors=[{"detail": "not a channel of this kind", "pointer": f"/channels/{index}"}])
    chosen: list[str] = sorted(set(body.channels))
    await uow.repository(PreferenceRepository).put(identity.subject, kind, chosen)
    return _read(rule, chosen)
