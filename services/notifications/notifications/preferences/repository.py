"""SQL of preferences."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from notifications.preferences.models import Preference
from shared.uow import Repository


class PreferenceRepository(Repository):
    async def of(self, subject: str) -> dict[str, list[str]]:
        rows = await self.session.scalars(select(Preference).where(Preference.subject == subject))
        return {row.kind: list(row.channels) for row in rows.all()}

    async def for_kind(self, kind: str, subjects: Sequence[str]) -> dict[str, list[str]]:
        """The channels each of `subjects` chose for `kind` (absent: the rule's default, every channel)."""
        rows = await self.session.execute(
            select(Preference.subject, Preference.channels).where(
                Preference.kind == kind, Preference.subject.in_(list(subjects))
            )
        )
        return {subject: list(channels) for subject, channels in rows.all()}

    async def put(self, subject: str, kind: str, channels: list[str]) -> None:
        statement = insert(Preference).values(subject=subject, kind=kind, channels=channels)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Preference.subject, Preference.kind],
                set_={"channels": statement.excluded.channels, "updated_at": func.now()},
            )
        )
