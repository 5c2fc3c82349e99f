"""Text messages through Aliyun's SMS API (dysmsapi `SendSms`, version 2017-05-25).

The request is Aliyun's RPC style: a form of common parameters plus `PhoneNumbers`, `SignName`,
`TemplateCode` and `TemplateParam` (a JSON string), signed with Aliyun's signature version 1.0:
HMAC-SHA1, keyed by `AccessKeySecret&`, over `POST&%2F&<the sorted, percent-encoded form>`.
The message text lives in the template at Aliyun; only the parameters (the code) travel, and
nothing here logs them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
import uuid
from collections.abc import Mapping

import httpx

API_VERSION = "2017-05-25"
REGION = "cn-hangzhou"
UNREACHABLE = "Unreachable"  # our own code: no answer, or not Aliyun's JSON


class SmsError(Exception):
    """The SMS API refused the message (`Code` other than OK), or could not be reached."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"SMS API code {code}")
        self.code = code
        self.message = message


def percent_encode(text: str) -> str:
    """RFC 3986 encoding as Aliyun signs it: only unreserved characters stay (space is %20, `~` stays)."""
    return urllib.parse.quote(text, safe="~")


def signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """Aliyun RPC signature 1.0 of `params` (without `Signature`) for an HTTP `method`."""
    canonical = "&".join(f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{access_key_secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class SmsSender:
    """Sends one templated text message per call, at `base_url` (https://dysmsapi.aliyuncs.com in production)."""

    def __init__(
        self, http: httpx.AsyncClient, *, base_url: str, access_key_id: str, access_key_secret: str, sign_name: str
    ) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + "/"
        self._access_key_id = access_key_id
        self._access_key_secret = access_key_secret
        self._sign_name = sign_name

    def __repr__(self) -> str:
        return f"SmsSender(base_url={self._url!r}, access_key_id={self._access_key_id!r})"

    async def send(self, phone: str, template_code: str, params: dict[str, str]) -> None:
        """Send template `template_code` filled with `params` to `phone` (mainland 11 digits, or +<country><number>)."""
        form = {
            "AccessKeyId": self._access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": REGION,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            "PhoneNumbers": aliyun_phone_number(phone),
            "SignName": self._sign_name,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
        }
        form["Signature"] = signature("POST", form, self._access_key_secret)
        body = urllib.parse.urlencode(form, quote_via=urllib.parse.quote)
        try:
            response = await self._http.post(
                self._url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
        except httpx.HTTPError:
            raise SmsError(UNREACHABLE, "the SMS API could not be reached") from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not isinstance(answer.get("Code"), str):
            raise SmsError(UNREACHABLE, f"the SMS API answered HTTP {response.status_code}")
        if answer["Code"] != "OK":
            message = answer.get("Message")
            raise SmsError(answer["Code"], message if isinstance(message, str) else "")


def aliyun_phone_number(phone: str) -> str:
    """Aliyun's form: a mainland number as its 11 digits, any other as country code and number without `+`."""
    compact = phone.replace(" ", "").replace("-", "")
    if compact.startswith("+86"):
        return compact[3:]
    return compact.removeprefix("+")
