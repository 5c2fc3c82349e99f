"""`GET <prefix>/about`: which service answered and which identity it received from the gateway."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from shared.auth import EVERY_ROLE, CurrentIdentity, allow


class About(BaseModel):
    service: str
    version: str
    subject: str
    roles: list[str]


def about_router(prefix: str, tag: str) -> APIRouter:
    """A route every authenticated caller may use to check the path gateway → service works."""
    # Reachable (benchmarks and tests use it) but not part of the published API.
    router = APIRouter(prefix=prefix, tags=[tag], include_in_schema=False)

    @router.get(
        "/about",
        summary="Which service answered, and who it thinks you are",
        dependencies=[allow(*EVERY_ROLE)],
    )
    async def about(request: Request, identity: CurrentIdentity) -> About:
        """Echo the service name and the verified identity (subject and roles, nothing else)."""
        return About(
            service=request.app.state.service_name,
            version=request.app.version,
            subject=identity.subject,
            roles=sorted(identity.roles),
        )

    return router
