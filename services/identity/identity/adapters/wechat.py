"""WeChat mini-program server API: code to session, phone number, subscribe messages.

Every WeChat answer is HTTP 200 with `errcode` / `errmsg` in a JSON body (sometimes served as
`text/plain`); a non-zero `errcode` raises `WeChatError`. A WeChat that cannot be reached, or
answers something that is not that JSON, raises `WeChatError(-1)`: WeChat's own "system busy".
Nothing here logs: codes, session keys, tokens and phone numbers are all secrets or personal data.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

# WeChat's error codes the service answers differently (docs/identity-fakes.md has the table).
SYSTEM_BUSY = -1
INVALID_CODE = 40029
TOO_FREQUENT = 45011
HIGH_RISK_USER = 40226
INVALID_ACCESS_TOKEN = 40001
ACCESS_TOKEN_EXPIRED = 42001
STALE_TOKEN_CODES = frozenset({INVALID_ACCESS_TOKEN, ACCESS_TOKEN_EXPIRED})
# 45011 is a per-minute quota: WeChat says "retry next minute".
TOO_FREQUENT_RETRY_AFTER_SECONDS = 60
CHINA_COUNTRY_CODE = "86"


class WeChatError(Exception):
    """A WeChat API call answered a non-zero `errcode` (or WeChat could not be reached: -1)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat errcode {errcode}")
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def retry_after_seconds(self) -> int | None:
        """How long to wait before calling again, when WeChat says so (45011)."""
        return TOO_FREQUENT_RETRY_AFTER_SECONDS if self.errcode == TOO_FREQUENT else None


@dataclass(frozen=True)
class MiniProgramSession:
    openid: str
    unionid: str | None
    session_key: str

    def __repr__(self) -> str:  # the session key never reaches a log or a traceback
        return f"MiniProgramSession(openid={self.openid!r}, unionid={self.unionid!r}, session_key=<hidden>)"


class AccessTokenStore(Protocol):
    """The app's client-credential access token, shared by everything that calls WeChat."""

    async def get(self, fetch: Callable[[], Awaitable[tuple[str, int]]]) -> str:
        """The cached token; refreshed via `fetch` -> (token, expires_in) before expiry, one refresh at a time."""
        ...

    async def invalidate(self, stale: str) -> None:
        """WeChat refused `stale` (40001 / 42001): the next `get` fetches anew, unless another caller already did."""
        ...


class MemoryAccessTokenStore:
    """An in-process `AccessTokenStore` (one replica; the service keeps its token in the database).

    A token is refreshed `refresh_margin_seconds` before it expires: WeChat keeps the previous
    token valid for five minutes after a new one is fetched, so callers holding it still succeed.
    """

    def __init__(self, *, refresh_margin_seconds: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._margin = refresh_margin_seconds
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def _fresh(self) -> str | None:
        return self._token if self._token is not None and self._clock() < self._refresh_at else None

    async def get(self, fetch: Callable[[], Awaitable[tuple[str, int]]]) -> str:
        token = self._fresh()
        if token is not None:
            return token
        async with self._lock:
            token = self._fresh()  # another caller refreshed while this one waited
            if token is not None:
                return token
            token, expires_in = await fetch()
            margin = min(self._margin, expires_in / 2)
            self._token, self._refresh_at = token, self._clock() + expires_in - margin
            return token

    async def invalidate(self, stale: str) -> None:
        async with self._lock:
            if self._token == stale:
                self._token = None


class WeChatClient:
    """The mini-program's server-side calls, at `base_url` (https://api.weixin.qq.com in production)."""

    def __init__(
        self, http: httpx.AsyncClient, *, base_url: str, appid: str, secret: str, tokens: AccessTokenStore
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._appid = appid
        self._secret = secret
        self._tokens = tokens

    def __repr__(self) -> str:
        return f"WeChatClient(base_url={self._base!r}, appid={self._appid!r})"

    async def code_to_session(self, js_code: str) -> MiniProgramSession:
        """Exchange a `wx.login()` code for the user's openid (unionid) and session key; a code works once."""
        body = await self._call(
            "GET",
            "/sns/jscode2session",
            params={
                "appid": self._appid,
                "secret": self._secret,
                "js_code": js_code,
                "grant_type": "authorization_code",
            },
        )
        openid, session_key, unionid = body.get("openid"), body.get("session_key"), body.get("unionid")
        if not isinstance(openid, str) or not openid or not isinstance(session_key, str) or not session_key:
            raise WeChatError(SYSTEM_BUSY, "jscode2session answered without openid or session_key")
        return MiniProgramSession(
            openid=openid, unionid=unionid if isinstance(unionid, str) and unionid else None, session_key=session_key
        )

    async def phone_number(self, code: str) -> str:
        """The phone number a `getPhoneNumber` button code stands for.

        A mainland number comes back as WeChat's `purePhoneNumber` (11 digits, no country code);
        any other as `+<countryCode><purePhoneNumber>`.
        """
        body = await self._with_access_token("POST", "/wxa/business/getuserphonenumber", json_body={"code": code})
        info = body.get("phone_info")
        if not isinstance(info, dict):
            raise WeChatError(SYSTEM_BUSY, "getuserphonenumber answered without phone_info")
        watermark = info.get("watermark")
        if isinstance(watermark, dict) and watermark.get("appid") not in (None, self._appid):
            raise WeChatError(SYSTEM_BUSY, "getuserphonenumber answered for another appid")
        pure, country = info.get("purePhoneNumber"), str(info.get("countryCode") or CHINA_COUNTRY_CODE)
        if not isinstance(pure, str) or not pure.isdigit() or not country.isdigit():
            raise WeChatError(SYSTEM_BUSY, "getuserphonenumber answered without a phone number")
        return pure if country == CHINA_COUNTRY_CODE else f"+{country}{pure}"

    async def send_subscribe_message(
        self, *, openid: str, template_id: str, data: dict[str, str], page: str | None = None
    ) -> None:
        """Send a subscribe message (the user must have accepted the template in the mini-program)."""
        message: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        if page is not None:
            message["page"] = page
        await self._with_access_token("POST", "/cgi-bin/message/subscribe/send", json_body=message)

    async def _fetch_access_token(self) -> tuple[str, int]:
        body = await self._call(
            "GET",
            "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self._appid, "secret": self._secret},
        )
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int) or expires_in <= 0:
            raise WeChatError(SYSTEM_BUSY, "cgi-bin/token answered without access_token")
        return token, expires_in

    async def _with_access_token(self, method: str, path: str, *, json_body: dict[str, Any]) -> dict[str, Any]:
        """Call with the app's access token; when WeChat says it is stale, fetch a new one and retry once."""
        token = await self._tokens.get(self._fetch_access_token)
        try:
            return await self._call(method, path, params={"access_token": token}, json_body=json_body)
        except WeChatError as error:
            if error.errcode not in STALE_TOKEN_CODES:
                raise
        await self._tokens.invalidate(token)
        token = await self._tokens.get(self._fetch_access_token)
        return await self._call(method, path, params={"access_token": token}, json_body=json_body)

    async def _call(
        self, method: str, path: str, *, params: dict[str, str], json_body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        try:
            response = await self._http.request(method, self._base + path, params=params, json=json_body)
        except httpx.HTTPError:
            raise WeChatError(SYSTEM_BUSY, "WeChat could not be reached") from None
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            raise WeChatError(SYSTEM_BUSY, f"WeChat answered HTTP {response.status_code}")
        errcode = body.get("errcode", 0)
        if not isinstance(errcode, int):
            raise WeChatError(SYSTEM_BUSY, "WeChat answered a malformed errcode")
        if errcode != 0:
            errmsg = body.get("errmsg")
            raise WeChatError(errcode, errmsg if isinstance(errmsg, str) else "")
        return body
