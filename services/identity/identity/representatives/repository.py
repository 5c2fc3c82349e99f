"""The representative mirror's SQL and the registry-sourced grants it moves."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from identity.accounts.models import Account, RoleGrant
from identity.representatives.models import Representative
from shared.uow import Repository

REGISTRY = "registry"


class RepresentativeRepository(Repository):
    async def record(
        self, enterprise_id: uuid.UUID, phone: str | None, subject: str | None, valid_until: dt.date | None, seq: int
    ) -> Representative | None:
        """Upsert the enterprise's record from feed event `seq`; None when a later event is already in."""
        values = {"phone": phone, "user_subject": subject, "valid_until": valid_until, "event_seq": seq}
        statement = (
            insert(Representative)
            .values(enterprise_id=enterprise_id, **values)
            .on_conflict_do_update(
                index_elements=[Representative.enterprise_id],
                set_={**values, "updated_at": func.now()},
                where=Representative.event_seq < seq,
            )
            .returning(Representative)
        )
        return await self.session.scalar(statement, execution_options={"populate_existing": True})

    async def record_current(
        self, enterprise_id: uuid.UUID, phone: str | None, subject: str | None, valid_until: dt.date | None
    ) -> None:
        """Upsert what the registry answers now (its feed position unknown: the row keeps its own)."""
        values = {"phone": phone, "user_subject": subject, "valid_until": valid_until}
        await self.session.execute(
            insert(Representative)
            .values(enterprise_id=enterprise_id, event_seq=0, **values)
            .on_conflict_do_update(
                index_elements=[Representative.enterprise_id], set_={**values, "updated_at": func.now()}
            )
        )

    async def get(self, enterprise_id: uuid.UUID) -> Representative | None:
        return await self.session.get(Representative, enterprise_id)

    async def naming(self, account_id: uuid.UUID, phone: str | None) -> Sequence[Representative]:
        """Records that name the account, by its subject or its verified phone."""
        conditions = [Representative.user_subject == str(account_id)]
        if phone is not None:
            conditions.append(Representative.phone == phone)
        return (await self.session.scalars(select(Representative).where(or_(*conditions)))).all()

    async def subject_account(self, subject: str | None) -> uuid.UUID | None:
        """The account a record's subject names, if it is one of ours."""
        try:
            account_id = uuid.UUID(subject) if subject else None
        except ValueError:
            return None
        if account_id is None:
            return None
        found: uuid.UUID | None = await self.session.scalar(select(Account.id).where(Account.id == account_id))
        return found

    async def phone_account(self, phone: str | None) -> uuid.UUID | None:
        if phone is None:
            return None
        found: uuid.UUID | None = await self.session.scalar(select(Account.id).where(Account.phone == phone))
        return found

    async def registry_grants(self, enterprise_id: uuid.UUID) -> Sequence[RoleGrant]:
        """The enterprise's unrevoked `enterprise_rep` grants that came from the registry, locked."""
        query = (
            select(RoleGrant)
            .where(
                RoleGrant.enterprise_id == enterprise_id,
                RoleGrant.role == "enterprise_rep",
                RoleGrant.source == REGISTRY,
                RoleGrant.revoked_at.is_(None),
            )
            .with_for_update()
        )
        return (await self.session.scalars(query)).all()

    async def revoke(self, grant_id: uuid.UUID) -> None:
        await self.session.execute(
            update(RoleGrant)
            .where(RoleGrant.id == grant_id, RoleGrant.revoked_at.is_(None))
            .values(revoked_at=func.now(), revoked_by=REGISTRY)
            .execution_options(synchronize_session=False)
        )

    async def grant(self, account_id: uuid.UUID, enterprise_id: uuid.UUID, valid_until: dt.datetime | None) -> bool:
        """The registry's grant; False when a live one exists already (the unique index decides)."""
        created = await self.session.scalar(
            insert(RoleGrant)
            .values(
                id=uuid.uuid4(),
                account_id=account_id,
                role="enterprise_rep",
                enterprise_id=enterprise_id,
                source=REGISTRY,
                granted_by=REGISTRY,
                valid_until=valid_until,
            )
            .on_conflict_do_nothing()
            .returning(RoleGrant.id)
        )
        return created is not None
