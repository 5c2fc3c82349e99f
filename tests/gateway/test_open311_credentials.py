"""Open311 through the gateway: reads need no key, a POST without valid credentials is the spec's 403.

The gateway runs in process in front of an echo server standing in for the service, so a test sees
whether an identity was forwarded and what the client gets back.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import httpx
import pytest

from shared.auth import mint_internal_token
from tests.gateway.test_signed_requests import Setup, echo_upstream, setup  # noqa: F401 (fixtures)
from tests.support.identities import TEST_SECRET, admin

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _open311_error(answer: httpx.Response, status: int = 403) -> str:
    """The description of the one error in the specification's array (JSON or XML)."""
    assert answer.status_code == status, answer.text
    if answer.request.url.path.endswith(".xml"):
        assert answer.headers["content-type"].startswith("text/xml")
        root = ElementTree.fromstring(answer.content)
        assert root.tag == "errors" and root.findtext("error/code") == str(status)
        return root.findtext("error/description") or ""
    assert answer.headers["content-type"] == "application/json"
    [error] = answer.json()
    assert error["code"] == status and error["description"]
    return str(error["description"])


@pytest.mark.parametrize(
    "path", ["/open311/v2/discovery.json", "/open311/v2/services.xml", "/open311/v2/requests/8a3c2a4e.json"]
)
async def test_reads_without_credentials_are_forwarded_without_an_identity(setup: Setup, path: str) -> None:  # noqa: F811
    forged = {"X-Platform-Identity": mint_internal_token(admin(), TEST_SECRET)}  # a client's own is dropped
    answer = await setup.client.get(path, params={"status": "open"}, headers=forged)
    assert answer.status_code == 200, answer.text
    assert answer.json()["identity"] is False
    assert answer.json()["path"] == path + "?status=open"


async def test_a_partner_key_still_authenticates_a_read(setup: Setup) -> None:  # noqa: F811
    bank = await setup.partner("readsbank", required=False)
    answer = await setup.client.get("/open311/v2/requests.json", params={"api_key": bank.api_key})
    assert answer.status_code == 200
    assert answer.json()["identity"] is True and "api_key" not in answer.json()["path"]


@pytest.mark.parametrize("path", ["/open311/v2/requests.json", "/open311/v2/requests.xml"])
async def test_a_post_without_or_with_invalid_credentials_is_the_open311_403(setup: Setup, path: str) -> None:  # noqa: F811
    bank = await setup.partner(f"postbank{path[-3:]}", required=False)
    form = {"service_code": "x", "address_string": "江陵路"}
    assert "api_key" in _open311_error(await setup.client.post(path, data=form, headers=FORM))
    forged = bank.api_key[:-4] + ("AAAA" if not bank.api_key.endswith("AAAA") else "BBBB")
    _open311_error(await setup.client.post(path, data=form | {"api_key": forged}, headers=FORM))
    _open311_error(await setup.client.post(path, params={"api_key": "not-a-key"}, data=form, headers=FORM))
    bad_token = {**FORM, "Authorization": "Bearer eyJhbGciOiJFUzI1NiJ9.e30.AAAA"}
    _open311_error(await setup.client.post(path, data=form, headers=bad_token))
    # a valid key is forwarded: the service then applies the route's requester roles
    answer = await setup.client.post(path, data=form | {"api_key": bank.api_key}, headers=FORM)
    assert answer.status_code == 200 and answer.json()["identity"] is True


async def test_invalid_credentials_on_a_read_are_refused_not_ignored(setup: Setup) -> None:  # noqa: F811
    _open311_error(await setup.client.get("/open311/v2/services.json", params={"api_key": "bjp_forged_AAAA"}))
    _open311_error(await setup.client.get("/open311/v2/services.xml", headers={"Authorization": "Bearer not-a-token"}))
