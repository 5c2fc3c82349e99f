"""The senders as a background task: one loop per channel."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from notifications.delivery.service import CHANNELS, sender
from notifications.settings import Settings


async def senders(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    if settings.run_workers:
        await asyncio.gather(*(sender(app, channel) for channel in CHANNELS))
