"""The identity service, the one place that knows people: recipients, openids, phones, the WeChat
app's access token and the SMS provider. This service keeps only token subjects (docs/notifications.md)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from notifications.settings import Settings
from shared.clients import service_client, service_headers


@dataclass(frozen=True, slots=True)
class Recipient:
    subject: str
    wechat: bool = False
    sms: bool = False


@dataclass(frozen=True, slots=True)
class RecipientPage:
    items: list[Recipient]
    next: str | None


class IdentityUnavailable(Exception):
    """The identity service did not answer (or answered 5xx): try again later."""


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What became of one WeChat or SMS send: `sent`, `skipped` (nobody to send to), `refused`
    (the person or WeChat said no: the subscription is spent), `invalid` (never will be accepted)
    or `retry` (the provider or identity is down; `retry_after` when it said)."""

    status: str
    code: str | None = None
    retry_after: float | None = None


class IdentityClient:
    def __init__(self, http: httpx.AsyncClient, secret: str) -> None:
        self._http = http
        self._secret = secret

    def _headers(self) -> dict[str, str]:
        return service_headers("notifications", self._secret)

    async def recipients(self, selector: dict[str, Any], after: str | None, limit: int) -> RecipientPage:
        """One page of the selector's recipients, resolved now from accounts and live grants."""
        body = {"selector": selector, "after": after, "limit": limit}
        try:
            response = await self._http.post("/internal/recipients", json=body, headers=self._headers())
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(type(exc).__name__) from None
        if response.status_code != 200:
            raise IdentityUnavailable(f"HTTP {response.status_code}")
        data = response.json()
        items = [Recipient(item["subject"], bool(item.get("wechat")), bool(item.get("sms"))) for item in data["items"]]
        return RecipientPage(items, data.get("next"))

    async def send_wechat(self, subject: str, template_id: str, page: str | None, data: dict[str, str]) -> SendOutcome:
        body = {"subject": subject, "template_id": template_id, "page": page, "data": data}
        return await self._send("/internal/notices/wechat", body)

    async def send_sms(self, subject: str, template_code: str, params: dict[str, str]) -> SendOutcome:
        body = {"subject": subject, "template_code": template_code, "params": params}
        return await self._send("/internal/notices/sms", body)

    async def _send(self, path: str, body: dict[str, Any]) -> SendOutcome:
        try:
            response = await self._http.post(path, json=body, headers=self._headers())
        except httpx.HTTPError as exc:
            return SendOutcome("retry", type(exc).__name__)
        if response.status_code in (200, 202, 204):
            return SendOutcome("sent")
        code = _code(response)
        if response.status_code in (404, 409) and code in ("WECHAT_REFUSED",):
            return SendOutcome("refused", code)
        if response.status_code in (404, 409):  # no such account, no openid, no verified phone
            return SendOutcome("skipped", code)
        if response.status_code in (400, 422):
            return SendOutcome("invalid", code)
        retry_after = response.headers.get("retry-after")
        return SendOutcome(
            "retry", code or f"HTTP_{response.status_code}", float(retry_after) if _number(retry_after) else None
        )


def _code(response: httpx.Response) -> str | None:
    try:
        code = response.json().get("code")
    except ValueError:
        return None
    return code if isinstance(code, str) else None


def _number(text: str | None) -> bool:
    try:
        return text is not None and float(text) >= 0
    except ValueError:
        return False


def identity_client(app: FastAPI) -> contextlib.AbstractAsyncContextManager[None]:
    """The app resource: `app.state.identity` (an `IdentityClient`)."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        transport = getattr(app.state, "identity_transport", None)  # tests: an in-process identity app
        async with service_client(settings.identity_url, settings.identity_timeout_seconds, transport) as http:
            app.state.identity = IdentityClient(http, settings.internal_token_secret.get_secret_value())
            yield

    return opened()
