"""A fake WeChat server API for development and tests: `python -m tools.fake_wechat --port 8091`.

Speaks the calls the identity service makes, as WeChat does (HTTP 200, `errcode` / `errmsg`):

* `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`: openid,
  session_key (and unionid when the user has one). A code works once and for 5 minutes (40029).
* `GET /cgi-bin/token?grant_type=client_credential&appid&secret`: an access token for 7200 s;
  fetching a new one leaves the previous one valid for 5 more minutes, as WeChat does.
* `POST /wxa/business/getuserphonenumber?access_token` `{"code"}`: `phone_info` (40001 / 42001
  for a bad or expired token, 40029 for a bad code).
* `POST /cgi-bin/message/subscribe/send?access_token`: checks each `data` value by its key's type
  (`thing1` is a `thing`: at most 20 characters; `SUBSCRIBE_VALUE_RULES` has them all) and answers
  47003 without storing when one does not fit; otherwise stores the message in an inbox. Any
  non-empty openid is accepted, so a restarted fake loses only its inbox (tokens are fetched again).

Test helpers, under `/_fake/` (what the mini-program and WeChat's back office would do):
`POST /_fake/codes {"openid", "unionid"?, "phone"?, "country_code"?}` mints a login code (and a
phone code when `phone` is given); `POST /_fake/next-error {"errcode"}` makes the next API call
answer that error (a js_code `error-<errcode>` does the same for one login); `POST /_fake/expire-tokens`
expires every access token; `GET /_fake/stats`, `GET /_fake/messages?openid=`, `POST /_fake/reset`.
The app id and secret come from `FAKE_WECHAT_APPID` / `FAKE_WECHAT_SECRET` (defaults below).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DEFAULT_APPID = "wx00000000fakeapp"
DEFAULT_SECRET = "fake-wechat-app-secret"
CODE_LIFETIME_SECONDS = 300
TOKEN_LIFETIME_SECONDS = 7200
PREVIOUS_TOKEN_GRACE_SECONDS = 300
ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    40226: "invalid request: risky user",
    41008: "missing code",
    42001: "access_token expired",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    47001: "data format error",
    47003: "argument invalid! data.value invalid",
}
SUBSCRIBE_KEY = re.compile(r"^([a-z_]+)([0-9]+)$")


def _fits(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda value: compiled.fullmatch(value) is not None


def _chinese_date(text: str) -> dt.date | None:
    match = re.fullmatch(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日", text) or re.fullmatch(
        r"([0-9]{4})-([0-9]{2})-([0-9]{2})", text
    )
    if match is None:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _is_date(value: str) -> bool:
    return _chinese_date(value) is not None


def _is_time(value: str) -> bool:
    day, _, clock = value.rpartition(" ")
    if re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", clock) is None:
        return False
    return (day == "" and " " not in value) or _chinese_date(day) is not None


# WeChat's rules for a subscribe message's values, by the type its key names (`thing1` -> thing).
SUBSCRIBE_VALUE_RULES: dict[str, Callable[[str], bool]] = {
    "thing": lambda value: 0 < len(value) <= 20,
    "short_thing": lambda value: 0 < len(value) <= 5,
    "phrase": lambda value: 0 < len(value) <= 5,
    "number": lambda value: len(value) <= 32 and _fits(r"[0-9]+(\.[0-9]+)?")(value),
    "letter": lambda value: len(value) <= 32 and _fits(r"[A-Za-z]+")(value),
    "character_string": lambda value: len(value) <= 32 and _fits(r"[0-9A-Za-z_-]+")(value),
    "time": _is_time,
    "date": _is_date,
    "name": lambda value: 0 < len(value) <= 10,
    "phone_number": lambda value: len(value) <= 17 and _fits(r"[0-9+-]+")(value),
    "amount": _fits(r"[¥$€£]?[0-9]{1,10}(\.[0-9]{1,2})?元?"),
    "car_number": lambda value: 0 < len(value) <= 8,
}


def subscribe_data_error(data: dict[str, Any]) -> str | None:
    """The first key whose value WeChat would refuse (47003), or None when every value fits its type."""
    for key, entry in data.items():
        match = SUBSCRIBE_KEY.fullmatch(key) if isinstance(key, str) else None
        value = entry.get("value") if isinstance(entry, dict) else None
        rule = SUBSCRIBE_VALUE_RULES.get(match.group(1)) if match else None
        if rule is None or not isinstance(value, str) or not rule(value):
            return key
    return None


@dataclass
class User:
    openid: str
    unionid: str | None
    phone: str | None
    country_code: str


@dataclass
class FakeWeChat:
    appid: str
    secret: str
    users: dict[str, User] = field(default_factory=dict)
    login_codes: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> (openid, expiry)
    phone_codes: dict[str, tuple[str, float]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry
    next_errors: list[int] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    token_calls: int = 0
    # every session key handed out, so a test can prove none leaks (a fake's privilege)
    session_keys: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.users.clear()
        self.login_codes.clear()
        self.phone_codes.clear()
        self.tokens.clear()
        self.next_errors.clear()
        self.messages.clear()
        self.token_calls = 0
        self.session_keys.clear()

    def injected_error(self) -> int | None:
        return self.next_errors.pop(0) if self.next_errors else None

    def token_error(self, token: str | None) -> int | None:
        if token is None or token not in self.tokens:
            return 40001
        return 42001 if self.tokens[token] <= time.monotonic() else None


def error(errcode: int, *, content_type: str = "application/json", errmsg: str | None = None) -> Response:
    body = json.dumps({"errcode": errcode, "errmsg": errmsg or ERRMSG.get(errcode, "error")})
    return Response(body, status_code=200, media_type=content_type)


def ok(body: dict[str, Any], *, content_type: str = "application/json") -> Response:
    return Response(json.dumps(body), status_code=200, media_type=content_type)


async def json_body(request: Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def create_app(appid: str | None = None, secret: str | None = None) -> Starlette:
    """The fake as an ASGI app (`uvicorn --factory tools.fake_wechat:create_app`)."""
    state = FakeWeChat(
        appid=appid or os.environ.get("FAKE_WECHAT_APPID", DEFAULT_APPID),
        secret=secret or os.environ.get("FAKE_WECHAT_SECRET", DEFAULT_SECRET),
    )

    def credentials_error(request: Request) -> int | None:
        if request.query_params.get("appid") != state.appid:
            return 40013
        if not secrets.compare_digest(request.query_params.get("secret", ""), state.secret):
            return 40125
        return None

    async def jscode2session(request: Request) -> Response:
        # WeChat serves this answer as text/plain; clients must parse the body regardless.
        plain = "text/plain"
        code = request.query_params.get("js_code", "")
        errcode = credentials_error(request) or state.injected_error()
        if errcode is None and request.query_params.get("grant_type") != "authorization_code":
            errcode = 40029
        if errcode is None and code.startswith("error-") and code[6:].lstrip("-").isdigit():
            errcode = int(code[6:])
        if errcode is not None:
            return error(errcode, content_type=plain)
        entry = state.login_codes.pop(code, None)
        if entry is None or entry[1] <= time.monotonic():
            return error(40029, content_type=plain)
        user = state.users[entry[0]]
        answer: dict[str, Any] = {"openid": user.openid, "session_key": secrets.token_urlsafe(16)}
        state.session_keys.append(answer["session_key"])
        if user.unionid is not None:
            answer["unionid"] = user.unionid
        return ok(answer, content_type=plain)

    async def token(request: Request) -> Response:
        state.token_calls += 1
        errcode = credentials_error(request) or state.injected_error()
        if errcode is None and request.query_params.get("grant_type") != "client_credential":
            errcode = 40013
        if errcode is not None:
            return error(errcode)
        now = time.monotonic()
        for previous, expiry in state.tokens.items():
            state.tokens[previous] = min(expiry, now + PREVIOUS_TOKEN_GRACE_SECONDS)
        access_token = secrets.token_urlsafe(48)
        state.tokens[access_token] = now + TOKEN_LIFETIME_SECONDS
        return ok({"access_token": access_token, "expires_in": TOKEN_LIFETIME_SECONDS})

    async def phone_number(request: Request) -> Response:
        errcode = state.token_error(request.query_params.get("access_token")) or state.injected_error()
        if errcode is not None:
            return error(errcode)
        body = await json_body(request)
        if body is None:
            return error(47001)
        code = body.get("code")
        if not isinstance(code, str) or not code:
            return error(41008)
        entry = state.phone_codes.pop(code, None)
        if entry is None or entry[1] <= time.monotonic():
            return error(40029)
        user = state.users[entry[0]]
        assert user.phone is not None
        mainland = user.country_code == "86"
        return ok(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": user.phone if mainland else f"+{user.country_code} {user.phone}",
                    "purePhoneNumber": user.phone,
                    "countryCode": user.country_code,
                    "watermark": {"timestamp": int(time.time()), "appid": state.appid},
                },
            }
        )

    async def subscribe_send(request: Request) -> Response:
        errcode = state.token_error(request.query_params.get("access_token")) or state.injected_error()
        if errcode is not None:
            return error(errcode)
        body = await json_body(request)
        if body is None or not isinstance(body.get("data"), dict):
            return error(47001)
        if not isinstance(body.get("touser"), str) or not body["touser"]:
            return error(40003)
        if not isinstance(body.get("template_id"), str) or not body["template_id"]:
            return error(40037)
        refused = subscribe_data_error(body["data"])
        if refused is not None or not body["data"]:
            return error(47003, errmsg=f"argument invalid! data.{refused}.value invalid")
        data = {key: value.get("value") for key, value in body["data"].items()}
        state.messages.append(
            {"openid": body["touser"], "template_id": body["template_id"], "page": body.get("page"), "data": data}
        )
        return ok({"errcode": 0, "errmsg": "ok"})

    async def mint_codes(request: Request) -> Response:
        body = await json_body(request)
        openid = body.get("openid") if body else None
        if body is None or not isinstance(openid, str) or not openid:
            return JSONResponse({"detail": "openid is required"}, status_code=400)
        phone = body.get("phone")
        user = state.users.get(openid) or User(openid, body.get("unionid"), None, "86")
        if isinstance(phone, str) and phone:
            user.phone, user.country_code = phone, str(body.get("country_code") or "86")
        state.users[openid] = user
        expiry = time.monotonic() + CODE_LIFETIME_SECONDS
        answer: dict[str, str] = {"code": secrets.token_urlsafe(24)}
        state.login_codes[answer["code"]] = (openid, expiry)
        if user.phone is not None:
            answer["phone_code"] = secrets.token_urlsafe(24)
            state.phone_codes[answer["phone_code"]] = (openid, expiry)
        return JSONResponse(answer, status_code=201)

    async def next_error(request: Request) -> Response:
        body = await json_body(request)
        if body is None or not isinstance(body.get("errcode"), int):
            return JSONResponse({"detail": "errcode (an integer) is required"}, status_code=400)
        state.next_errors.append(body["errcode"])
        return Response(status_code=204)

    async def expire_tokens(request: Request) -> Response:
        now = time.monotonic()
        state.tokens = dict.fromkeys(state.tokens, now)
        return Response(status_code=204)

    async def stats(request: Request) -> Response:
        return JSONResponse(
            {"token_calls": state.token_calls, "valid_tokens": len(state.tokens), "session_keys": state.session_keys}
        )

    async def messages(request: Request) -> Response:
        openid = request.query_params.get("openid")
        return JSONResponse({"messages": [m for m in state.messages if openid is None or m["openid"] == openid]})

    async def reset(request: Request) -> Response:
        state.reset()
        return Response(status_code=204)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/sns/jscode2session", jscode2session, methods=["GET"]),
            Route("/cgi-bin/token", token, methods=["GET"]),
            Route("/wxa/business/getuserphonenumber", phone_number, methods=["POST"]),
            Route("/cgi-bin/message/subscribe/send", subscribe_send, methods=["POST"]),
            Route("/_fake/codes", mint_codes, methods=["POST"]),
            Route("/_fake/next-error", next_error, methods=["POST"]),
            Route("/_fake/expire-tokens", expire_tokens, methods=["POST"]),
            Route("/_fake/stats", stats, methods=["GET"]),
            Route("/_fake/messages", messages, methods=["GET"]),
            Route("/_fake/reset", reset, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake WeChat server API (development and tests only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
