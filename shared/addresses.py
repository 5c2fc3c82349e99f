"""The address clients reach a service by: behind the gateway, the gateway's."""

from __future__ import annotations

from starlette.requests import Request


def public_base_url(request: Request) -> str:
    """From the `X-Forwarded-*` headers the gateway sets (it drops any a client sends); else our own."""
    host = request.headers.get("x-forwarded-host")
    if not host:
        return str(request.base_url)
    return f"{request.headers.get('x-forwarded-proto') or request.url.scheme}://{host}/"
