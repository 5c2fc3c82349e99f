"""Express routes: served without FastAPI's request machinery, answering exactly as FastAPI would.

Every test of `tests/shared` that uses the `notes` app runs twice, once with its routes as plain
FastAPI routes and once as express routes; these tests cover what only express has.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI

from shared.app import create_service_app
from shared.auth import CurrentIdentity, Role, allow
from shared.express import Endpoint, ExpressRoutes
from shared.settings import PlatformSettings
from tests.shared.conftest import build_app
from tests.support.identities import auth, identity

EMPLOYEE = auth(identity(Role.employee))


def _app(database_url: str, router: APIRouter, *express: Endpoint) -> FastAPI:
    settings = PlatformSettings(database_url=database_url, environment="test")
    return create_service_app(
        name="express-test",
        title="express test",
        description="",
        settings=settings,
        routers=[router],
        express_routes=express,
    )


def _express_layer(app: FastAPI) -> ExpressRoutes:
    layer: Any = app.build_middleware_stack()
    while not isinstance(layer, ExpressRoutes):
        layer = layer.app
    return layer


async def test_the_routes_the_factory_names_are_served_by_the_express_layer(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(database_url, express_routes=True)
    assert {route.path for route in _express_layer(app).routes} == {
        "/v1/notes",
        "/v1/notes/{note_id}",
        "/v1/notes/{note_id}/version",
        "/v1/notes/{key}",
    }
    served: list[str] = []
    original = ExpressRoutes._serve

    async def counting(self: ExpressRoutes, compiled: Any, *args: Any) -> None:
        served.append(compiled.path)
        await original(self, compiled, *args)

    monkeypatch.setattr(ExpressRoutes, "_serve", counting)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shared.test") as client:
            created = await client.post("/v1/notes", json={"text": "express"}, headers=EMPLOYEE)
            health = await client.get("/healthz")
    assert created.status_code == 201 and health.status_code == 200
    assert served == ["/v1/notes"]


async def test_without_express_routes_the_layer_is_not_installed(database_url: str) -> None:
    layer: Any = build_app(database_url).build_middleware_stack()
    while hasattr(layer, "app"):
        assert not isinstance(layer, ExpressRoutes)
        layer = layer.app


async def test_an_express_endpoint_that_is_no_route_is_refused(database_url: str) -> None:
    router = APIRouter()

    @router.get("/v1/things/{thing_id}", dependencies=[allow(Role.employee)])
    async def thing(thing_id: uuid.UUID) -> dict[str, str]:
        return {"id": str(thing_id)}

    async def stray(thing_id: uuid.UUID) -> dict[str, str]:
        return {"id": str(thing_id)}

    app = _app(database_url, router, stray)
    with pytest.raises(TypeError, match="is not a route"):
        app.build_middleware_stack()


async def test_a_body_that_is_not_json_gets_fastapis_own_answer(notes: httpx.AsyncClient) -> None:
    response = await notes.post(
        "/v1/notes", content=b"text=hello", headers=EMPLOYEE | {"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_FAILED"


async def test_an_unsupported_parameter_is_refused_when_the_routes_are_compiled(database_url: str) -> None:
    router = APIRouter()

    @router.get("/v1/search/{thing_id}", dependencies=[allow(Role.employee)])
    async def search(thing_id: uuid.UUID, q: str) -> dict[str, str]:
        return {"q": q}

    app = _app(database_url, router, search)
    with pytest.raises(TypeError, match="parameter 'q' is not supported"):
        app.build_middleware_stack()


async def test_a_public_express_route_reads_no_identity_and_may_not_ask_for_one(database_url: str) -> None:
    router = APIRouter()

    @router.get("/v1/open/{thing_id}")
    async def open_route(thing_id: uuid.UUID) -> dict[str, str]:
        return {"id": str(thing_id)}

    app = _app(database_url, router, open_route)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            thing = uuid.uuid4()
            answer = await client.get(f"/v1/open/{thing}", headers={"X-Platform-Identity": "forged"})
    assert answer.status_code == 200 and answer.json() == {"id": str(thing)}

    nosy = APIRouter()

    @nosy.get("/v1/open/{thing_id}")
    async def nosy_route(thing_id: uuid.UUID, who: CurrentIdentity) -> dict[str, str]:
        return {"id": str(thing_id), "who": who.subject}

    with pytest.raises(TypeError, match="a public route has no identity"):
        _app(database_url, nosy, nosy_route).build_middleware_stack()


async def test_an_express_route_has_at_most_one_role_list(database_url: str) -> None:
    router = APIRouter()

    @router.get("/v1/twice/{thing_id}", dependencies=[allow(Role.employee), allow(Role.platform_admin)])
    async def twice(thing_id: uuid.UUID) -> dict[str, str]:
        return {"id": str(thing_id)}

    with pytest.raises(TypeError, match="at most one allow"):
        _app(database_url, router, twice).build_middleware_stack()


async def test_a_uuid_parameter_leaves_a_fixed_sibling_path_to_fastapi(database_url: str) -> None:
    router = APIRouter()

    @router.get("/v1/things/about", dependencies=[allow(Role.employee)])
    async def about() -> dict[str, str]:
        return {"what": "about"}

    @router.get("/v1/things/{thing_id}", dependencies=[allow(Role.employee)])
    async def thing(thing_id: uuid.UUID) -> dict[str, str]:
        return {"id": str(thing_id)}

    app = _app(database_url, router, thing)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shared.test") as client:
            assert (await client.get("/v1/things/about", headers=EMPLOYEE)).json() == {"what": "about"}
            thing_id = str(uuid.uuid4())
            assert (await client.get(f"/v1/things/{thing_id}", headers=EMPLOYEE)).json() == {"id": thing_id}
            malformed = await client.get("/v1/things/not-a-uuid", headers=EMPLOYEE)
            assert malformed.status_code == 422  # FastAPI's answer, as the express layer would give


async def test_an_express_route_that_would_shadow_an_earlier_one_is_refused(database_url: str) -> None:
    router = APIRouter()

    @router.get("/v1/words/about", dependencies=[allow(Role.employee)])
    async def about() -> dict[str, str]:
        return {"what": "about"}

    @router.get("/v1/words/{word}", dependencies=[allow(Role.employee)])
    async def word(word: str) -> dict[str, str]:
        return {"word": word}

    app = _app(database_url, router, word)
    with pytest.raises(TypeError, match="would shadow /v1/words/about"):
        app.build_middleware_stack()
