"""Demo partners (a bank and an MCN agency, no keys: issue one with `gateway.cli key create`).

Stable ids and insert-when-missing, so running the seed twice changes nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.partners.models import Partner
from shared.settings import PlatformSettings

NAMESPACE = uuid.UUID("5d1f0c7e-2b8a-4f0e-9a61-3c9e7d2a4b10")
DEMO_PARTNERS = (
    ("bank", "杭州银行滨江科技支行", "科技金融部 0571-0000 0000"),
    ("mcn", "星光直播 MCN", "商务合作 bd@mcn.example"),
)


async def seed(database_url: str) -> None:
    """Insert the demo partners unless they exist."""
    engine = create_async_engine(PlatformSettings(database_url=database_url).async_database_url)
    try:
        async with engine.begin() as connection:
            for kind, name, contact in DEMO_PARTNERS:
                await connection.execute(
                    insert(Partner)
                    .values(id=uuid.uuid5(NAMESPACE, name), kind=kind, name=name, contact=contact)
                    .on_conflict_do_nothing()
                )
    finally:
        await engine.dispose()
