"""The SMS adapter against the fake Aliyun SMS gateway, over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from bench.harness import free_port
from identity.adapters.sms import SmsError, SmsSender, signature
from tools.fake_sms import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DEFAULT_SIGN_NAME, aliyun_signature

LOGIN_TEMPLATE = "SMS_270000001"

# Aliyun's worked example of signature version 1.0 (its "HTTP protocol and signature" page for
# SendSms): these parameters, AccessKeySecret "testSecret", method GET.
ALIYUN_EXAMPLE = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
ALIYUN_EXAMPLE_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def sender(
    http: httpx.AsyncClient,
    base_url: str,
    *,
    access_key_id: str = DEFAULT_ACCESS_KEY_ID,
    secret: str = DEFAULT_ACCESS_KEY_SECRET,
    sign_name: str = DEFAULT_SIGN_NAME,
) -> SmsSender:
    return SmsSender(
        http, base_url=base_url, access_key_id=access_key_id, access_key_secret=secret, sign_name=sign_name
    )


async def inbox(http: httpx.AsyncClient, sms: str, phone: str | None = None) -> list[dict[str, object]]:
    params = {"phone": phone} if phone else {}
    messages: list[dict[str, object]] = (await http.get(f"{sms}/_fake/inbox", params=params)).json()["messages"]
    return messages


def test_the_signature_is_aliyuns_worked_example() -> None:
    assert signature("GET", ALIYUN_EXAMPLE, "testSecret") == ALIYUN_EXAMPLE_SIGNATURE
    assert aliyun_signature("GET", ALIYUN_EXAMPLE, "testSecret") == ALIYUN_EXAMPLE_SIGNATURE


async def test_a_code_reaches_the_phones_inbox(http: httpx.AsyncClient, sms: str) -> None:
    await sender(http, sms).send("13800138000", LOGIN_TEMPLATE, {"code": "042917"})
    [message] = await inbox(http, sms, "13800138000")
    assert {key: message[key] for key in ("phone", "sign_name", "template_code", "params")} == {
        "phone": "13800138000",
        "sign_name": DEFAULT_SIGN_NAME,
        "template_code": LOGIN_TEMPLATE,
        "params": {"code": "042917"},
    }


async def test_a_mainland_number_in_international_form_goes_as_its_eleven_digits(
    http: httpx.AsyncClient, sms: str
) -> None:
    await sender(http, sms).send("+86 139-0013-9000", LOGIN_TEMPLATE, {"code": "111111"})
    assert [message["phone"] for message in await inbox(http, sms)] == ["13900139000"]


async def test_a_wrong_secret_fails_the_signature_and_nothing_is_sent(http: httpx.AsyncClient, sms: str) -> None:
    with pytest.raises(SmsError) as refused:
        await sender(http, sms, secret="not-the-secret").send("13800138000", LOGIN_TEMPLATE, {"code": "123456"})
    assert refused.value.code == "SignatureDoesNotMatch"
    assert await inbox(http, sms) == []


async def test_an_unknown_access_key_is_refused(http: httpx.AsyncClient, sms: str) -> None:
    with pytest.raises(SmsError) as refused:
        await sender(http, sms, access_key_id="LTAIunknown").send("13800138000", LOGIN_TEMPLATE, {"code": "1"})
    assert refused.value.code == "InvalidAccessKeyId.NotFound"


async def test_a_changed_parameter_breaks_the_signature_and_a_replay_is_refused(sms: str) -> None:
    sent: list[bytes] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request.content)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        await sender(http, sms).send("13800138000", LOGIN_TEMPLATE, {"code": "654321"})
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        replay = await http.post(f"{sms}/", content=sent[0], headers=form)
        redirected = await http.post(f"{sms}/", content=sent[0].replace(b"13800138000", b"13900000000"), headers=form)
        assert (replay.json()["Code"], redirected.json()["Code"]) == ("SignatureNonceUsed", "SignatureDoesNotMatch")
        assert [message["phone"] for message in await inbox(http, sms)] == ["13800138000"]


async def test_the_gateway_told_to_fail_raises_its_code(http: httpx.AsyncClient, sms: str) -> None:
    response = await http.post(f"{sms}/_fake/next-error", json={"code": "isv.BUSINESS_LIMIT_CONTROL"})
    assert response.status_code == 204
    with pytest.raises(SmsError) as refused:
        await sender(http, sms).send("13800138000", LOGIN_TEMPLATE, {"code": "222222"})
    assert refused.value.code == "isv.BUSINESS_LIMIT_CONTROL"
    assert await inbox(http, sms) == []


async def test_a_server_error_is_raised_with_aliyuns_code(http: httpx.AsyncClient, sms: str) -> None:
    await http.post(f"{sms}/_fake/next-error", json={"code": "ServiceUnavailable", "status": 503})
    with pytest.raises(SmsError) as refused:
        await sender(http, sms).send("13800138000", LOGIN_TEMPLATE, {"code": "333333"})
    assert refused.value.code == "ServiceUnavailable"


async def test_an_invalid_phone_number_is_refused(http: httpx.AsyncClient, sms: str) -> None:
    with pytest.raises(SmsError) as refused:
        await sender(http, sms).send("12345", LOGIN_TEMPLATE, {"code": "444444"})
    assert refused.value.code == "isv.MOBILE_NUMBER_ILLEGAL"


async def test_a_sign_name_the_account_does_not_have_is_refused(http: httpx.AsyncClient, sms: str) -> None:
    with pytest.raises(SmsError) as refused:
        await sender(http, sms, sign_name="别的签名").send("13800138000", LOGIN_TEMPLATE, {"code": "555555"})
    assert refused.value.code == "isv.SMS_SIGNATURE_ILLEGAL"


async def test_an_unreachable_gateway_is_an_sms_error(http: httpx.AsyncClient) -> None:
    with pytest.raises(SmsError) as refused:
        await sender(http, f"http://127.0.0.1:{free_port()}").send("13800138000", LOGIN_TEMPLATE, {"code": "1"})
    assert refused.value.code == "Unreachable"


async def test_any_template_code_with_several_params_is_delivered(http: httpx.AsyncClient, sms: str) -> None:
    params = {"name": "停车位申请", "status": "已受理", "when": "2026-12-01 15:01"}
    await sender(http, sms).send("13800138001", "SMS_465090123", params)
    [message] = await inbox(http, sms, "13800138001")
    assert (message["template_code"], message["params"]) == ("SMS_465090123", params)


@pytest.mark.parametrize(
    ("template_code", "params", "code"),
    [
        ("TPL_1", {}, "isv.SMS_TEMPLATE_ILLEGAL"),
        ("SMS_465090123", {"name": "长" * 36}, "isv.PARAM_LENGTH_LIMIT"),
    ],
)
async def test_a_template_or_param_aliyun_refuses_is_its_isv_code(
    http: httpx.AsyncClient, sms: str, template_code: str, params: dict[str, str], code: str
) -> None:
    with pytest.raises(SmsError) as refused:
        await sender(http, sms).send("13800138002", template_code, params)
    assert refused.value.code == code
    assert await inbox(http, sms, "13800138002") == []
