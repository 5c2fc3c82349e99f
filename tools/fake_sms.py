"""A fake Aliyun SMS gateway (dysmsapi `SendSms`) for development and tests: `python -m tools.fake_sms --port 8092`.

It checks a request as Aliyun does: the common parameters, the signature (version 1.0, HMAC-SHA1
keyed by `AccessKeySecret&`, computed here on its own, not by the platform's code), a timestamp
within 15 minutes, a nonce never seen before; then the phone number, the sign name, the template
code (any `SMS_<digits>`) and the JSON of `TemplateParam` (string values of at most 35 characters,
Aliyun's limit on one variable: `isv.PARAM_LENGTH_LIMIT`). Accepted messages go to an inbox, never to a log:
`GET /_fake/inbox?phone=` reads it. `POST /_fake/next-error {"code", "status"?}` makes the next
send fail with that Aliyun `Code` (HTTP status 200 unless given); `POST /_fake/reset` empties all.
Credentials and the sign name: `FAKE_SMS_ACCESS_KEY_ID`, `FAKE_SMS_ACCESS_KEY_SECRET`, `FAKE_SMS_SIGN_NAME`.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DEFAULT_ACCESS_KEY_ID = "LTAIfakeaccesskeyid"
DEFAULT_ACCESS_KEY_SECRET = "fake-sms-access-key-secret"
DEFAULT_SIGN_NAME = "滨江产业社区"
TIMESTAMP_SKEW = dt.timedelta(minutes=15)
COMMON = ("AccessKeyId", "Action", "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp", "Version")
MAINLAND_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
INTERNATIONAL = re.compile(r"^[1-9][0-9]{7,15}$")
TEMPLATE_CODE = re.compile(r"^SMS_[0-9]{1,20}$")
PARAM_MAX_LENGTH = 35


@dataclass
class FakeSms:
    access_key_id: str
    access_key_secret: str
    sign_name: str
    inbox: list[dict[str, Any]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    next_errors: list[tuple[str, int]] = field(default_factory=list)

    def reset(self) -> None:
        self.inbox.clear()
        self.nonces.clear()
        self.next_errors.clear()


def aliyun_signature(method: str, params: dict[str, str], secret: str) -> str:
    """Signature version 1.0, written from Aliyun's documentation (its worked example is a test)."""

    def encode(text: str) -> str:
        return urllib.parse.quote(text, safe="~")

    canonical = "&".join(encode(key) + "=" + encode(params[key]) for key in sorted(params) if key != "Signature")
    string_to_sign = method + "&%2F&" + encode(canonical)
    mac = hmac.new((secret + "&").encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def refusal(code: str, message: str, status: int) -> Response:
    return JSONResponse({"Code": code, "Message": message, "RequestId": str(uuid.uuid4()).upper()}, status_code=status)


def create_app(
    access_key_id: str | None = None, access_key_secret: str | None = None, sign_name: str | None = None
) -> Starlette:
    """The fake as an ASGI app (`uvicorn --factory tools.fake_sms:create_app`)."""
    state = FakeSms(
        access_key_id=access_key_id or os.environ.get("FAKE_SMS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID),
        access_key_secret=access_key_secret or os.environ.get("FAKE_SMS_ACCESS_KEY_SECRET", DEFAULT_ACCESS_KEY_SECRET),
        sign_name=sign_name or os.environ.get("FAKE_SMS_SIGN_NAME", DEFAULT_SIGN_NAME),
    )

    async def send_sms(request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            form = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
            params.update({key: values[-1] for key, values in form.items()})
        missing = [name for name in (*COMMON, "Signature") if not params.get(name)]
        if missing:
            return refusal("MissingParameter", f"The input parameter {missing[0]} is mandatory.", 400)
        if params["AccessKeyId"] != state.access_key_id:
            return refusal("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return refusal("InvalidParameter", "The specified signature method or version is not supported.", 400)
        expected = aliyun_signature(request.method, params, state.access_key_secret)
        if not hmac.compare_digest(expected, params["Signature"]):
            return refusal("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.", 400)
        try:
            stamp = dt.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            return refusal("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", 400)
        if abs(dt.datetime.now(dt.UTC) - stamp) > TIMESTAMP_SKEW:
            return refusal("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
        if params["SignatureNonce"] in state.nonces:
            return refusal("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
        state.nonces.add(params["SignatureNonce"])
        if params["Action"] != "SendSms" or params["Version"] != "2017-05-25":
            return refusal("InvalidAction.NotFound", "Specified api is not found.", 404)
        if state.next_errors:
            code, status = state.next_errors.pop(0)
            return refusal(code, "injected by /_fake/next-error", status)
        return accept(params)

    def accept(params: dict[str, str]) -> Response:
        phones = params.get("PhoneNumbers", "").split(",")
        if not all(MAINLAND_MOBILE.match(phone) or INTERNATIONAL.match(phone) for phone in phones):
            return refusal("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", 200)
        if params.get("SignName") != state.sign_name:
            return refusal("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名", 200)
        if not TEMPLATE_CODE.match(params.get("TemplateCode", "")):
            return refusal("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板", 200)
        try:
            template_params = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            template_params = None
        if not isinstance(template_params, dict) or not all(isinstance(v, str) for v in template_params.values()):
            return refusal("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值", 200)
        if any(len(value) > PARAM_MAX_LENGTH for value in template_params.values()):
            return refusal("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制", 200)
        biz_id = f"{secrets.randbelow(10**6):06d}^{secrets.randbelow(10**10):010d}"
        received_at = dt.datetime.now(dt.UTC).isoformat()
        for phone in phones:
            state.inbox.append(
                {
                    "phone": phone,
                    "sign_name": params["SignName"],
                    "template_code": params["TemplateCode"],
                    "params": template_params,
                    "biz_id": biz_id,
                    "received_at": received_at,
                }
            )
        return JSONResponse({"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": str(uuid.uuid4()).upper()})

    async def inbox(request: Request) -> Response:
        phone = request.query_params.get("phone")
        return JSONResponse({"messages": [m for m in state.inbox if phone is None or m["phone"] == phone]})

    async def next_error(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("code"), str):
            return JSONResponse({"detail": "code (an Aliyun error code) is required"}, status_code=400)
        status = body.get("status", 200)
        state.next_errors.append((body["code"], status if isinstance(status, int) else 200))
        return Response(status_code=204)

    async def reset(request: Request) -> Response:
        state.reset()
        return Response(status_code=204)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/", send_sms, methods=["GET", "POST"]),
            Route("/_fake/inbox", inbox, methods=["GET"]),
            Route("/_fake/next-error", next_error, methods=["POST"]),
            Route("/_fake/reset", reset, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Aliyun SMS gateway (development and tests only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8092)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
