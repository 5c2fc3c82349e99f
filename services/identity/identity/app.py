"""The identity service's FastAPI application: sign-in, tokens, keys and role grants."""

from __future__ import annotations

import functools

import httpx
from fastapi import FastAPI

from identity.abuse import abuse_limits
from identity.accounts.router import internal_router as accounts_internal_router
from identity.accounts.router import router as accounts_router
from identity.admins.router import router as admins_router
from identity.constraints import CONSTRAINT_PROBLEMS
from identity.database import platform_tables
from identity.grants.grid_client import grid_directory
from identity.grants.router import audit_router, redeem_router
from identity.grants.router import router as grants_router
from identity.keys.router import router as keys_router
from identity.keys.service import key_ring
from identity.notices.router import router as notices_router
from identity.representatives.service import registry_client, registry_feed
from identity.sessions.router import refresh_token
from identity.sessions.router import router as sessions_router
from identity.settings import Settings
from identity.sms.router import router as sms_router
from identity.sms.service import sms_sender
from identity.sso.client import oidc_client
from identity.sso.router import router as sso_router
from identity.wechat.router import router as wechat_router
from identity.wechat.service import wechat_client
from shared.about import about_router
from shared.app import create_service_app
from shared.hot_path import hot_path_pool
from shared.outbox import event_feed_router


def create_app(settings: Settings | None = None, registry_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """Build the app; `uvicorn identity.app:create_app --factory` serves it."""
    settings = settings or Settings()
    return create_service_app(
        name="identity",
        title="Identity",
        description="Sign-in, access and refresh tokens, signing keys and the role grants behind them.",
        settings=settings,
        routers=[
            about_router("/v1/accounts", "accounts"),  # before `/v1/accounts/{account_id}`
            keys_router,
            sessions_router,
            sms_router,
            wechat_router,
            redeem_router,
            grants_router,  # before `/v1/accounts/{account_id}`: `join-requests` is not an account id
            sso_router,
            admins_router,
            accounts_router,
            accounts_internal_router,
            notices_router,
            audit_router,
            event_feed_router(platform_tables.outbox_event),  # RoleGranted, for the notifications service
        ],
        constraint_problems=CONSTRAINT_PROBLEMS,
        idempotency_table=platform_tables.idempotency_key,
        resources=[
            key_ring,
            grid_directory,
            abuse_limits,
            sms_sender,
            wechat_client,
            oidc_client,
            functools.partial(registry_client, transport=registry_transport),
        ],
        background_tasks=[registry_feed, hot_path_pool],
        express_routes=[refresh_token],  # the refresh wave (shared/express.py)
    )
