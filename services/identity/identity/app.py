"""The identity service's FastAPI application: sign-in, tokens, keys and role grants."""

from __future__ import annotations

from fastapi import FastAPI

from identity.accounts.router import internal_router as accounts_internal_router
from identity.accounts.router import router as accounts_router
from identity.admins.router import router as admins_router
from identity.database import platform_tables
from identity.keys.router import router as keys_router
from identity.keys.service import key_ring
from identity.sessions.router import router as sessions_router
from identity.settings import Settings
from identity.sso.client import oidc_client
from identity.sso.router import router as sso_router
from shared.about import about_router
from shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
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
            sso_router,
            admins_router,
            accounts_router,
            accounts_internal_router,
        ],
        idempotency_table=platform_tables.idempotency_key,
        resources=[key_ring, oidc_client],
    )
