"""Every express route answers exactly as FastAPI does (issue 23; `shared/express.py`).

Each service is built twice from its own factory: as shipped (its `express_routes=` served by the
express layer) and with no express routes (every request through FastAPI's own routing and
dependencies). Per express route, a table of requests (good input, bad input, missing or forged
identity, wrong role) goes to both; the status, the body and the headers a client reads must be the
same, after the values that differ by nature (new ids, times, tokens, trackers) are masked. Each
case also states whether the express layer serves it, and the test counts that it did.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

import shared.app
from shared.auth import Identity, Role
from shared.express import ExpressRoutes
from tests.elections.conftest import open_election, rep_of
from tests.elections.registry_data import Enterprise, RegistryData
from tests.support.identities import auth, identity, minimal_identity

# Headers that differ between any two requests, whichever path serves them.
VOLATILE_HEADERS = {"date", "x-request-id", "content-length", "server-timing"}
# Body fields that are new on every call (ids and times are masked wherever they appear).
VOLATILE_FIELDS = {"trace_id", "tracker", "nonce", "serial", "access_token", "refresh_token", "receipt_code"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
FORGED = {"X-Platform-Identity": "not-a-token"}


@dataclass
class Call:
    """One request; `express` says whether the express layer (not FastAPI) should answer it."""

    method: str
    path: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    express: bool = True


# A case builds its request for one variant (0: the express app, 1: the plain app), so that
# requests that change state (a cast, a used refresh token) meet the same state in both.
Build = Callable[[int], Awaitable[Call]]


def mask(value: Any) -> Any:
    """`value` with the parts that differ by nature replaced by placeholders."""
    if isinstance(value, dict):
        return {key: "<volatile>" if key in VOLATILE_FIELDS else mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    if isinstance(value, str):
        return TIME.sub("<time>", UUID.sub("<uuid>", value))
    return value


def view(response: httpx.Response) -> tuple[int, dict[str, str], Any]:
    """What a client reads of an answer: status, headers, body (JSON parsed, masked)."""
    headers = {name: mask(value) for name, value in response.headers.items() if name not in VOLATILE_HEADERS}
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return response.status_code, headers, mask(body)


@contextmanager
def without_express(module: ModuleType) -> Iterator[None]:
    """While building an app, its factory's `create_service_app` is given no express routes."""

    def plain(**arguments: Any) -> FastAPI:
        return shared.app.create_service_app(**{**arguments, "express_routes": ()})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "create_service_app", plain)
        yield


def _express_layer(app: FastAPI) -> ExpressRoutes | None:
    layer: Any = app.build_middleware_stack()
    while layer is not None and not isinstance(layer, ExpressRoutes):
        layer = getattr(layer, "app", None)
    return layer


@asynccontextmanager
async def _client(app: FastAPI, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            client.fastapi_app = app  # type: ignore[attr-defined]
            yield client


@asynccontextmanager
async def twins(module: ModuleType, build: Callable[[], FastAPI]) -> AsyncIterator[list[httpx.AsyncClient]]:
    """The service as shipped and the same service without express routes, both running."""
    express = build()
    with without_express(module):
        plain = build()
    assert _express_layer(express) is not None and _express_layer(plain) is None
    async with _client(express, "http://express.test") as fast, _client(plain, "http://plain.test") as slow:
        yield [fast, slow]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the express layer served, in order."""
    paths: list[str] = []
    original = ExpressRoutes._serve

    async def counting(self: ExpressRoutes, compiled: Any, *args: Any) -> None:
        paths.append(compiled.path)
        await original(self, compiled, *args)

    monkeypatch.setattr(ExpressRoutes, "_serve", counting)
    return paths


async def _send(client: httpx.AsyncClient, call: Call) -> httpx.Response:
    return await client.request(call.method, call.path, json=call.json, content=call.content, headers=call.headers)


async def assert_same(clients: list[httpx.AsyncClient], cases: dict[str, Build], served: list[str]) -> None:
    """Each case through both apps: the same answer, and the express layer serving what it should."""
    for name, build in cases.items():
        answers = []
        for variant, client in enumerate(clients):
            call = await build(variant)
            before = len(served)
            answers.append(view(await _send(client, call)))
            assert len(served) - before == (1 if call.express and variant == 0 else 0), name
        assert answers[0] == answers[1], (name, differences(answers[0], answers[1]))


def differences(express: Any, plain: Any, at: str = "") -> list[str]:
    """Where two answers differ, as paths with both values."""
    if isinstance(express, dict) and isinstance(plain, dict):
        keys = sorted(set(express) | set(plain), key=str)
        return [d for key in keys for d in differences(express.get(key), plain.get(key), f"{at}/{key}")]
    if isinstance(express, list | tuple) and isinstance(plain, list | tuple) and len(express) == len(plain):
        return [d for n, (a, b) in enumerate(zip(express, plain, strict=True)) for d in differences(a, b, f"{at}/{n}")]
    return [] if express == plain else [f"{at}: express {express!r}, plain {plain!r}"]


# --- registry: GET /v1/communities/{community_id} -------------------------------------------------


@pytest.fixture(scope="module")
async def registry_service(database_url: str) -> AsyncIterator[FastAPI]:
    from registry.app import create_app
    from registry.settings import Settings

    app = create_app(Settings(database_url=database_url, environment="test"))
    async with LifespanManager(app):
        yield app


def _registry_data(registry_service: FastAPI) -> RegistryData:
    transport = httpx.ASGITransport(app=registry_service)
    return RegistryData(httpx.AsyncClient(transport=transport, base_url="http://registry.test"))


async def test_the_community_read(database_url: str, registry_service: FastAPI, served: list[str]) -> None:
    import registry.app
    from registry.settings import Settings

    data = _registry_data(registry_service)
    community_id, _ = await data.community(1)
    reader = auth(identity(Role.employee, enterprise_id=uuid.uuid4()))
    path = f"/v1/communities/{community_id}"

    def fixed(call: Call) -> Build:
        async def build(_: int) -> Call:
            return call

        return build

    cases = {
        "good": fixed(Call("GET", path, headers=reader)),
        "in English": fixed(Call("GET", path, headers={**reader, "Accept-Language": "en"})),
        "unknown community": fixed(Call("GET", f"/v1/communities/{uuid.uuid4()}", headers=reader)),
        "not a uuid": fixed(Call("GET", "/v1/communities/not-a-uuid", headers=reader, express=False)),
        "a query string": fixed(Call("GET", f"{path}?x=1", headers=reader, express=False)),
        "no identity": fixed(Call("GET", path)),
        "forged identity": fixed(Call("GET", path, headers=FORGED)),
        "unknown community, no identity": fixed(Call("GET", f"/v1/communities/{uuid.uuid4()}")),
    }

    def build() -> FastAPI:
        return registry.app.create_app(Settings(database_url=database_url, environment="test"))

    try:
        async with twins(registry.app, build) as clients:
            await assert_same(clients, cases, served)
    finally:
        await data.client.aclose()


# --- service-requests: POST /v1/service-requests ----------------------------------------------------

ENTERPRISES = uuid.UUID(int=0x5EED)  # namespace of the requesters' enterprise ids


async def test_the_request_submission(database_url: str, served: list[str]) -> None:
    import service_requests.app
    from service_requests.settings import Settings

    community_id = uuid.uuid4()
    staff = identity(Role.community_staff, community_ids=[community_id])

    def requester(variant: int, role: Role = Role.enterprise_rep) -> dict[str, str]:
        # the same person in both, for one enterprise per variant: the other variant's earlier request
        # would be a "possible duplicate"
        enterprise_id = uuid.uuid5(ENTERPRISES, str(variant))
        who = {"subject": f"requester-{role}", "roles": [role], "enterprise_id": enterprise_id}
        return auth(Identity.model_validate({**who, "community_ids": [community_id]}))

    def build() -> FastAPI:
        settings = Settings(database_url=database_url, environment="test", webhook_dispatcher_enabled=False)
        return service_requests.app.create_app(settings)

    async with twins(service_requests.app, build) as clients:
        from tests.service_requests.conftest import type_body

        created = await clients[0].post("/v1/service-types", json=type_body(community_id), headers=auth(staff))
        assert created.status_code == 201, created.text
        type_id = created.json()["id"]
        good = {"type_id": type_id, "description": "想了解贷款贴息政策", "answers": {"amount": 300}}

        def case(
            body: Any = None,
            *,
            role: Role = Role.enterprise_rep,
            who: bool = True,
            headers: dict[str, str] | None = None,
            content: bytes | None = None,
            express: bool = True,
        ) -> Build:
            async def make(variant: int) -> Call:
                sent = {**(requester(variant, role) if who else {}), **(headers or {})}
                return Call("POST", "/v1/service-requests", json=body, content=content, headers=sent, express=express)

            return make

        cases = {
            "good": case(good),
            "an employee": case({**good, "description": "员工提交"}, role=Role.employee),
            "unknown type": case({**good, "type_id": str(uuid.uuid4())}),
            "missing answer": case({**good, "answers": {}}),
            "unknown field": case({**good, "colour": "blue"}),
            "no body, no content type": case(None, express=False),
            "no body": case(None, headers={"content-type": "application/json"}),
            "not JSON": case(None, content=b"{not json", headers={"content-type": "application/json"}),
            "not JSON, no content type": case(None, content=b"{not json", express=False),
            "not UTF-8": case(None, content=b'{"description": "\xff"}', headers={"content-type": "application/json"}),
            "nested past the parser's depth": case(
                None, content=b'{"a":' * 10_000 + b"1" + b"}" * 10_000, headers={"content-type": "application/json"}
            ),
            "text/plain": case(
                None, content=json.dumps(good).encode(), headers={"content-type": "text/plain"}, express=False
            ),
            "JSON, no content type": case(None, content=json.dumps(good).encode(), express=False),
            "no identity": case(good, who=False),
            "forged identity": case(good, who=False, headers=FORGED),
            "wrong role": case(good, role=Role.partner),
            "staff may not submit": case(good, role=Role.community_staff),
        }
        await assert_same(clients, cases, served)


# --- elections: POST /v1/elections/{election_id}/ballots --------------------------------------------

VOTERS = 24  # one per case and variant


async def test_the_ballot_cast(database_url: str, registry_service: FastAPI, served: list[str]) -> None:
    import elections.app
    from elections.settings import Settings

    def build() -> FastAPI:
        return elections.app.create_app(
            Settings(database_url=database_url, environment="test"),
            registry_transport=httpx.ASGITransport(app=registry_service),
        )

    data = _registry_data(registry_service)
    try:
        async with twins(elections.app, build) as clients:
            setup = await open_election(clients[1], data, roll_size=VOTERS, candidates=8)
            path = f"/v1/elections/{setup.election_id}/ballots"
            voters: Iterator[Enterprise] = iter(setup.roll)

            def case(
                choices: Any = (),
                *,
                headers: Callable[[Enterprise], dict[str, str]] | None = None,
                election: str | None = None,
                **extra: Any,
            ) -> Build:
                # each variant's request comes from its own voter: a second cast would replace the first
                async def make(_: int) -> Call:
                    voter = next(voters)
                    sent = auth(rep_of(voter, setup.community_id)) if headers is None else headers(voter)
                    target = path if election is None else f"/v1/elections/{election}/ballots"
                    body = (
                        {"choices": [setup.candidates[i] for i in choices]} if isinstance(choices, tuple) else choices
                    )
                    return Call("POST", target, json=body, headers=sent, **extra)

                return make

            def not_the_rep(voter: Enterprise) -> dict[str, str]:
                return auth(
                    Identity(
                        subject="someone-else",
                        roles=frozenset({Role.enterprise_rep}),
                        enterprise_id=voter.enterprise_id,
                    )
                )

            cases = {
                "good": case((0, 1)),
                "a blank ballot": case(()),
                "too many choices": case(tuple(range(8))),  # seven seats
                "not a candidate": case({"choices": [str(uuid.uuid4())]}),
                "choices not a list": case({"choices": "all"}),
                "unknown field": case({"choices": [], "round": 2}),
                "unknown election": case((), election=str(uuid.uuid4())),
                "election not a uuid": case((), election="nope", express=False),
                "not the representative": case((0,), headers=not_the_rep),
                "no identity": case((0,), headers=lambda _: {}),
                "forged identity": case((0,), headers=lambda _: FORGED),
                "wrong role": case((0,), headers=lambda _: auth(minimal_identity(Role.employee))),
            }
            await assert_same(clients, cases, served)
    finally:
        await data.client.aclose()


# --- elections: POST /v1/consultations/{consultation_id}/answers (deliberation) ----------------------


async def test_the_consultation_answer(database_url: str, registry_service: FastAPI, served: list[str]) -> None:
    import elections.app
    from elections.settings import Settings

    def build() -> FastAPI:
        return elections.app.create_app(
            Settings(database_url=database_url, environment="test"),
            registry_transport=httpx.ASGITransport(app=registry_service),
        )

    community_id = uuid.uuid4()
    question: dict[str, Any] = {"code": "site", "label_zh": "选址", "label_en": "Site", "datatype": "single_choice"}
    question["required"] = True
    question["choices"] = [
        {"key": "a", "label_zh": "甲", "label_en": "A"},
        {"key": "b", "label_zh": "乙", "label_en": "B"},
    ]
    number = {"code": "diners", "label_zh": "人数", "label_en": "Diners", "datatype": "number"}
    survey: dict[str, Any] = {"community_id": str(community_id), "title": "征询", "audience": "enterprises"}
    survey |= {"questions": [question, number], "closes_at": "2099-01-01T00:00:00Z"}

    def rep() -> Identity:
        return identity(Role.enterprise_rep, enterprise_id=uuid.uuid4(), community_ids=[community_id])

    async with twins(elections.app, build) as clients:
        staff_headers = auth(identity(Role.community_staff, community_ids=[community_id]))
        made = await clients[1].post("/v1/consultations", json=survey, headers=staff_headers)
        assert made.status_code == 201, made.text
        consultation = made.json()["id"]
        opened = await clients[1].post(
            f"/v1/consultations/{consultation}/transitions", json={"to": "open"}, headers=staff_headers
        )
        assert opened.status_code == 200, opened.text
        answered = rep()
        first = await clients[1].post(
            f"/v1/consultations/{consultation}/answers", json={"answers": {"site": "a"}}, headers=auth(answered)
        )
        assert first.status_code == 201, first.text

        def case(
            body: Any = None,
            *,
            who: Callable[[], dict[str, str]] = lambda: auth(rep()),
            target: str | None = None,
            express: bool = True,
        ) -> Build:
            async def make(_: int) -> Call:  # a new representative per variant: an answer is once
                sent = {"answers": {"site": "b", "diners": 12}} if body is None else body
                path = f"/v1/consultations/{target or consultation}/answers"
                return Call("POST", path, json=sent, headers=who(), express=express)

            return make

        employee = identity(Role.employee, enterprise_id=uuid.uuid4(), community_ids=[community_id])
        cases = {
            "good": case(),
            "answered before": case(who=lambda: auth(answered)),
            "not a choice": case({"answers": {"site": "z"}}),
            "required missing": case({"answers": {"diners": 3}}),
            "a number as text": case({"answers": {"site": "a", "diners": "3"}}),
            "a boolean": case({"answers": {"site": True}}),
            "answers not an object": case({"answers": "all"}),
            "unknown field": case({"answers": {"site": "a"}, "extra": 1}),
            "unknown consultation": case(target=str(uuid.uuid4())),
            "consultation not a uuid": case(target="nope", express=False),
            "another community": case(who=lambda: auth(identity(Role.enterprise_rep, enterprise_id=uuid.uuid4()))),
            "not its audience": case(who=lambda: auth(employee)),
            "no identity": case(who=lambda: {}),
            "forged identity": case(who=lambda: FORGED),
            "wrong role": case(who=lambda: auth(minimal_identity(Role.partner))),
        }
        await assert_same(clients, cases, served)


# --- identity: POST /v1/auth/token (a public route: no identity is read) -----------------------------


async def test_the_refresh(database_url: str, served: list[str]) -> None:
    import identity.app
    from tests.identity.conftest import identity_settings, signed_in

    def build() -> FastAPI:
        return identity.app.create_app(identity_settings(database_url))

    async with twins(identity.app, build) as clients:
        app = clients[0].fastapi_app  # type: ignore[attr-defined]

        async def fresh_token() -> str:
            return (await signed_in(app, (Role.employee, {"enterprise_id": uuid.uuid4()}))).pair.refresh_token

        async def used_token(variant: int) -> str:
            token = await fresh_token()
            refreshed = await clients[variant].post("/v1/auth/token", json={"refresh_token": token})
            assert refreshed.status_code == 200, refreshed.text
            return token

        def case(body: Callable[[int], Awaitable[Any]], **extra: Any) -> Build:
            async def make(variant: int) -> Call:
                return Call("POST", "/v1/auth/token", json=await body(variant), **extra)

            return make

        async def good(_: int) -> Any:
            return {"refresh_token": await fresh_token()}

        async def used(variant: int) -> Any:
            return {"refresh_token": await used_token(variant)}

        def constant(value: Any) -> Callable[[int], Awaitable[Any]]:
            async def body(_: int) -> Any:
                return value

            return body

        cases = {
            "good": case(good),
            "a used token signs the session out": case(used),
            "unknown token": case(constant({"refresh_token": "rt_" + "x" * 40})),
            "empty token": case(constant({"refresh_token": ""})),
            "unknown field": case(constant({"refresh_token": "rt_x", "scope": "all"})),
            "no body, no content type": case(constant(None), express=False),
            "no body": case(constant(None), headers={"content-type": "application/json"}),
            "not JSON": case(constant(None), content=b"rt_x", headers={"content-type": "application/json"}),
            "with an identity header (ignored)": case(good, headers=FORGED),
        }
        await assert_same(clients, cases, served)
