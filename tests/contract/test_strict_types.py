"""Bodies and parameters are strictly typed where the API says so (issue 15, "strict types"), through
the real gateway, for every case the merged document holds:

* a JSON string where the document says number or boolean, or a number where it says string, is
  refused with a 422 pointing at that property, for every top-level property of every JSON body;
* every integer of every JSON body, nested ones included, refuses `1.0`, `"1"` and `true`;
* every integer query or path parameter refuses `1.0` and `true`, naming the parameter.

The other properties carry plausible values, so a refusal must name the property under test: a
property the service quietly coerced ("1" taken as 1) is reported (docs/security.md, "Strict types")."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import Role
from tests.contract.gate import served_document
from tests.contract.openapi_document import operations, plausible, resolve
from tests.e2e.conftest import RunningPlatform
from tests.support.identities import minimal_identity

ROLE_TABLE = Path(__file__).resolve().parent.parent / "route_roles.txt"

pytestmark = pytest.mark.e2e

# what to send instead of a value of each JSON Schema type (integers: `_impostors` below)
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


def _integer(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    """The integer schema among a property's options, if it takes integers."""
    schema = resolve(document, schema)
    for option in schema.get("anyOf") or schema.get("oneOf") or [schema]:
        option = resolve(document, option)
        if option.get("type") == "integer":
            return option
    return None


def _objects(document: dict[str, Any], schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The object schemas a value of `schema` may be (each option of a union on its own)."""
    schema = resolve(document, schema)
    for option in schema.get("anyOf") or schema.get("oneOf") or [schema]:
        option = resolve(document, option)
        if "properties" in option:
            yield option


Step = str | int


def _integer_fields(
    document: dict[str, Any], schema: dict[str, Any], value: Any, at: tuple[Step, ...] = (), depth: int = 0
) -> Iterator[tuple[tuple[Step, ...], dict[str, Any], Any]]:
    """(JSON path, integer schema, a plausible body holding that path) of every integer in `schema`;
    `value` is the plausible value of the object the walk is in."""
    if depth > 5:
        return
    for obj in _objects(document, schema):
        own = value if isinstance(value, dict) and set(value) <= set(obj["properties"]) else plausible(document, obj)
        for name, sub in obj["properties"].items():
            integer = _integer(document, sub)
            if integer is not None:
                yield (*at, name), integer, own
            sub_resolved = resolve(document, sub)
            for nested in _objects(document, sub):
                yield from _nest(document, nested, own, name, (*at, name), depth)
            options = sub_resolved.get("anyOf") or [sub_resolved]
            for option in (resolve(document, option) for option in options):
                if option.get("type") == "array" and "items" in option:
                    item = resolve(document, option["items"])
                    if _integer(document, item) is not None:
                        yield (*at, name, 0), _integer(document, item) or {}, own | {name: [None]}
                    for nested in _objects(document, item):
                        for path, found, inner in _integer_fields(document, nested, None, (), depth + 1):
                            yield (*at, name, 0, *path), found, own | {name: [inner]}


def _nest(
    document: dict[str, Any],
    nested: dict[str, Any],
    own: dict[str, Any],
    name: str,
    at: tuple[Step, ...],
    depth: int,
) -> Iterator[tuple[tuple[Step, ...], dict[str, Any], Any]]:
    for path, found, inner in _integer_fields(document, nested, None, (), depth + 1):
        yield (*at, *path), found, own | {name: inner}


def _put(body: Any, path: tuple[Step, ...], value: Any) -> Any:
    """`body` with `value` at `path` (an array index replaces that item)."""
    if not path:
        return value
    head, *rest = path
    if isinstance(head, int):
        items = list(body) if isinstance(body, list) and body else [None]
        items[head] = _put(items[head], tuple(rest), value)
        return items
    base = dict(body) if isinstance(body, dict) else {}
    base[head] = _put(base.get(head), tuple(rest), value)
    return base


def _sample(schema: dict[str, Any]) -> int:
    """An integer inside the schema's bounds, so only its JSON type is wrong."""
    low = int(schema.get("minimum", 1))
    high = int(schema.get("maximum", max(low, 1) + 10))
    return min(max(low, 1), high)


def _concrete(document: dict[str, Any], path: str, operation: dict[str, Any]) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            value = plausible(document, parameter.get("schema", {}))
            path = path.replace("{" + parameter["name"] + "}", str(value))
    return path


def integer_body_cases(document: dict[str, Any]) -> Iterator[tuple[str, str, str, tuple[Step, ...], Any, Any]]:
    """(method, template, path, JSON path, wrong value, body) for every integer of every JSON body."""
    for template, method, operation in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        schema = content["application/json"].get("schema", {})
        seen: set[tuple[Step, ...]] = set()
        for at, integer, body in _integer_fields(document, schema, plausible(document, schema)):
            if at in seen:  # the same property in two options of a union: one is enough
                continue
            seen.add(at)
            number = _sample(integer)
            for wrong in _impostors(number):
                path = _concrete(document, template, operation)
                yield method, template, path, at, wrong, _put(body, at, wrong)


def _impostors(number: int) -> tuple[Any, ...]:
    """What lax integer parsing takes as `number`: the float, the string, and a boolean."""
    return (float(number), str(number), True)


def integer_parameter_cases(document: dict[str, Any]) -> Iterator[tuple[str, str, str, str, str, dict[str, str]]]:
    """(method, template, path, parameter, wrong text, query) for every integer query or path parameter."""
    for template, method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            integer = _integer(document, parameter.get("schema", {}))
            if integer is None or parameter["in"] not in ("query", "path"):
                continue
            for wrong in (f"{_sample(integer)}.0", "true"):
                path = _concrete(document, template, operation)
                query: dict[str, str] = {}
                if parameter["in"] == "path":
                    path = _concrete(document, template.replace("{" + parameter["name"] + "}", wrong), operation)
                else:
                    query = {parameter["name"]: wrong}
                yield method, template, path, parameter["name"], wrong, query


def _names(steps: tuple[Step, ...], pointer: str) -> bool:
    """Whether an error pointer names the property at `steps` (a union may add its tag in between)."""
    parts = iter(pointer.strip("/").split("/"))
    return all(any(part == str(step) for part in parts) for step in steps)


async def _send(
    platform: RunningPlatform, client: httpx.AsyncClient, method: str, path: str, role: Role, **request: Any
) -> httpx.Response:
    for _ in range(2):
        answer = await client.request(
            method.upper(),
            path,
            headers={
                **platform.auth(minimal_identity(role)),
                "Content-Type": "application/json",
                "If-Match": '"v1"',
            },
            **request,
        )
        if answer.status_code != 429:
            return answer
        await asyncio.sleep(min(61, int(answer.headers.get("retry-after", "1"))))
    raise AssertionError(f"{method.upper()} {path} stayed rate-limited")


async def test_no_integer_takes_a_float_a_string_or_a_boolean(platform: RunningPlatform) -> None:
    document = served_document(platform.gateway_url)
    callers = _callers()
    loose: list[str] = []
    proven: set[tuple[str, str, tuple[Step, ...]]] = set()
    everything: set[tuple[str, str, tuple[Step, ...]]] = set()
    async with platform.client(timeout=30) as client:
        for method, template, path, at, wrong, body in integer_body_cases(document):
            everything.add((method, template, at))
            role = callers.get((method, template), Role.platform_admin)
            answer = await _send(platform, client, method, path, role, content=json.dumps(body).encode())
            pointers = [str(item.get("pointer", "")) for item in answer.json().get("errors", [])]
            if answer.status_code in (403, 404) and not pointers:
                continue  # refused before the body is read: proves nothing either way
            proven.add((method, template, at))
            if answer.status_code != 422 or not any(_names(at, pointer) for pointer in pointers):
                where = "/".join(str(step) for step in at)
                loose.append(f"{method.upper()} {path} /{where}={wrong!r}: {answer.status_code} {pointers}")
        for method, template, path, name, text, query in integer_parameter_cases(document):
            everything.add((method, template, (name,)))
            role = callers.get((method, template), Role.platform_admin)
            answer = await _send(platform, client, method, path, role, params=query)
            parameters = [str(item.get("parameter", "")) for item in answer.json().get("errors", [])]
            if answer.status_code in (403, 404) and not parameters:
                continue
            proven.add((method, template, (name,)))
            if answer.status_code != 422 or name not in parameters:
                loose.append(f"{method.upper()} {path} {name}={text}: {answer.status_code} {parameters}")
    assert len(everything) > 50, "the document should hold many integers; is the walk broken?"
    assert loose == [], f"{len(loose)} integer cases were taken as integers:\n" + "\n".join(loose)
    # a case answered 403/404 before its body was read proves nothing; most must have been read
    assert len(proven) > 0.8 * len(everything), f"unproven: {sorted(everything - proven)}"
