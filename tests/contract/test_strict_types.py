"""Bodies are strictly typed where the API says so (issue 15, "strict types"): a JSON string where
the document says integer, number or boolean, or a number where it says string, is refused with a
422 pointing at that property, through the real gateway, for every property of every JSON body.

The other properties carry plausible values, so a refusal must name the property under test: a
property the service quietly coerced ("1" taken as 1) is reported."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.auth import Role
from tests.contract.gate import served_document
from tests.contract.openapi_document import operations, plausible, resolve
from tests.e2e.conftest import RunningPlatform
from tests.support.identities import minimal_identity

ROLE_TABLE = Path(__file__).resolve().parent.parent / "route_roles.txt"

pytestmark = pytest.mark.e2e

# what to send instead of a value of each JSON Schema type
# (integers are not checked yet: StrictInt refuses 2.0, which JSON Schema calls an integer)
WRONG = {"number": "1.5", "boolean": "true", "string": 1}


def _types(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    schema = resolve(document, schema)
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    kinds = {resolve(document, option).get("type") for option in options}
    return {kind for kind in kinds if isinstance(kind, str)} - {"null"}


def cases(document: dict[str, Any]) -> Iterator[tuple[str, str, str, str, Any, dict[str, Any]]]:
    """(method, path template, path, property, wrong value, body) for each typed property of each JSON body."""
    for path, method, operation in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content or path.startswith("/open311/"):
            continue
        schema = resolve(document, content["application/json"].get("schema", {}))
        base = plausible(document, schema)
        base = base if isinstance(base, dict) else {}
        for name, sub in schema.get("properties", {}).items():
            kinds = _types(document, sub)
            if len(kinds) != 1 or next(iter(kinds)) not in WRONG:
                continue
            wrong = WRONG[next(iter(kinds))]
            if isinstance(wrong, str) and "string" in kinds:
                continue
            concrete = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    value = plausible(document, parameter.get("schema", {}))
                    concrete = concrete.replace("{" + parameter["name"] + "}", str(value))
            yield method, path, concrete, name, wrong, base | {name: wrong}


def _callers() -> dict[tuple[str, str], Role]:
    """A role each route lets in (the reviewed table), an admin where it may."""
    chosen: dict[tuple[str, str], Role] = {}
    for line in ROLE_TABLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            _, method, path, roles = line.split()
            allowed = roles.split(",")
            chosen[(method.lower(), path)] = Role("platform_admin" if "platform_admin" in allowed else allowed[0])
    return chosen


async def test_no_body_property_takes_a_value_of_another_json_type(platform: RunningPlatform) -> None:
    document = served_document(platform.gateway_url)
    callers = _callers()
    loose: list[str] = []
    sent = 0
    async with platform.client(timeout=30) as client:
        for method, template, path, name, wrong, body in cases(document):
            role = callers.get((method, template), Role.platform_admin)
            for _ in range(2):
                answer = await client.request(
                    method.upper(),
                    path,
                    content=json.dumps(body).encode(),
                    headers={
                        **platform.auth(minimal_identity(role)),
                        "Content-Type": "application/json",
                        "If-Match": '"v1"',
                    },
                )
                if answer.status_code != 429:
                    break
                # the sign-in paths share one anonymous budget per address, which the fuzz gate spent
                await asyncio.sleep(min(61, int(answer.headers.get("retry-after", "1"))))
            assert answer.status_code != 429
            pointers = [str(item.get("pointer", "")) for item in answer.json().get("errors", [])]
            if answer.status_code in (403, 404) and not pointers:
                # refused before the body is read (an unknown id, another community's scope): this
                # request proves nothing either way; tests/*/ hold the typed cases of such routes
                continue
            sent += 1
            if answer.status_code != 422 or f"/{name}" not in pointers:
                loose.append(f"{method.upper()} {path} {name}={wrong!r}: {answer.status_code} {pointers}")
    assert sent > 60
    assert loose == [], f"{len(loose)} of {sent} accepted a value of another type:\n" + "\n".join(loose)
