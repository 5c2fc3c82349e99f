"""A database outage is a 503 Problem Details with `Retry-After`, `/readyz` says so, and recovery needs nobody."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from gateway.app import create_app as create_gateway
from gateway.settings import Settings as GatewaySettings
from registry.app import create_app
from registry.settings import Settings
from tests.support.harness import free_port
from tests.support.identities import admin, auth

ADMIN = auth(admin())


class DatabaseLink:
    """A TCP hop between the service and PostgreSQL that the test can cut (every connection dies) and restore."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.socket_dir = str(url.query["host"]) if "host" in url.query else None
        self.target = (url.host or "127.0.0.1", url.port or 5432)
        self.port = free_port()
        self.url = url.set(host="127.0.0.1", port=self.port, query={}).render_as_string(hide_password=False)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self.socket_dir is not None:
            path = f"{self.socket_dir}/.s.PGSQL.{self.target[1]}"
            server_reader, server_writer = await asyncio.open_unix_connection(path)
        else:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        self._writers |= {client_writer, server_writer}

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while chunk := await reader.read(65536):
                    writer.write(chunk)
                    await writer.drain()
            writer.transport.abort()

        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))
        self._writers -= {client_writer, server_writer}


async def _registry(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(create_app(Settings(database_url=database_url, environment="test"))) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
            yield client


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["code"] == "DATABASE_UNAVAILABLE"


async def test_a_database_that_is_not_there_is_a_503(database_url: str) -> None:
    nowhere = make_url(database_url).set(host="127.0.0.1", port=free_port(), query={})
    async for client in _registry(nowhere.render_as_string(hide_password=False)):
        _assert_unavailable(await client.get("/v1/enterprises", headers=ADMIN))
        _assert_unavailable(await client.get("/v1/communities", headers=ADMIN))
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.headers["retry-after"]


async def test_an_outage_is_a_503_and_the_service_recovers_by_itself(database_url: str) -> None:
    link = DatabaseLink(database_url)
    await link.up()
    async for client in _registry(link.url):
        assert (await client.get("/v1/enterprises", headers=ADMIN)).status_code == 200
        await link.down()
        during = [await client.get("/v1/enterprises", headers=ADMIN) for _ in range(3)]
        ready = await client.get("/readyz")
        await link.up()
        deadline = asyncio.get_running_loop().time() + 10
        while (after := await client.get("/v1/enterprises", headers=ADMIN)).status_code != 200:
            assert asyncio.get_running_loop().time() < deadline, after.text
            await asyncio.sleep(0.1)
        assert (await client.get("/readyz")).status_code == 200
    for response in during:
        _assert_unavailable(response)
    assert ready.status_code == 503 and ready.headers["retry-after"]
    await link.down()


async def test_a_partner_key_lookup_during_an_outage_is_a_503(database_url: str) -> None:
    """The gateway's proxied path looks API keys up in its own database, outside any app's handlers."""
    nowhere = make_url(database_url).set(host="127.0.0.1", port=free_port(), query={})
    settings = GatewaySettings(
        database_url=nowhere.render_as_string(hide_password=False),
        environment="test",
        upstreams={"registry": f"http://127.0.0.1:{free_port()}"},
    )
    async with LifespanManager(create_gateway(settings)) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            key = "Bearer bjp_0123456789abcdef_" + "s" * 40
            response = await client.get("/v1/enterprises", headers={"Authorization": key})
    _assert_unavailable(response)
