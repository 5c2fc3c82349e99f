"""`python -m service_requests.webhooks.worker`: webhook delivery apart from the API replicas.

Reads the service's settings (`REQUESTS_*`, `DATABASE_URL`), delivers until SIGTERM or SIGINT, and
then stops between attempts: a message it had leased is retried by any dispatcher once the lease
(`REQUESTS_WEBHOOK_LEASE_SECONDS`) expires, with the same `webhook-id`. Run API replicas with
`REQUESTS_WEBHOOK_DISPATCHER_ENABLED=false` when workers deliver. With
`REQUESTS_WEBHOOK_WORKER_METRICS_PORT`, it serves its Prometheus counters (delivery attempts,
disabled endpoints) at `http://127.0.0.1:<port>/metrics`.
"""

from __future__ import annotations

import asyncio
import signal

import structlog
from prometheus_client import start_http_server

from service_requests.settings import Settings
from service_requests.webhooks.dispatch import build_dispatcher
from shared.db import create_engine, create_sessionmaker, direct_engine
from shared.observability import configure_logging

logger = structlog.get_logger("service_requests.webhooks.worker")


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Deliver until `stop` is set; the engines live exactly as long as the loop."""
    engine = create_engine(
        settings.async_database_url,
        pool_size=2,
        max_overflow=2,
        prepared_statements=settings.db_prepared_statements is not False,
    )
    async with direct_engine(settings.async_database_direct_url, settings.async_database_url) as listen_engine:
        dispatcher = build_dispatcher(settings, create_sessionmaker(engine), listen_engine)
        delivering = asyncio.create_task(dispatcher.run(), name="webhook-dispatcher")
        stopping = asyncio.create_task(stop.wait(), name="stop-signal")
        logger.info("webhook_worker_started", schedule=list(settings.webhook_retry_schedule))
        try:
            await asyncio.wait({delivering, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (delivering, stopping):
                task.cancel()
            await asyncio.gather(delivering, stopping, return_exceptions=True)
            await engine.dispose()
            logger.info("webhook_worker_stopped")


async def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    if settings.webhook_worker_metrics_port is not None:
        start_http_server(settings.webhook_worker_metrics_port, addr="127.0.0.1")  # a daemon thread
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await run_worker(settings, stop)


if __name__ == "__main__":
    asyncio.run(main())
