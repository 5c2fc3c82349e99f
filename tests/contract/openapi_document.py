"""The merged OpenAPI document built in-process, exactly as the gateway merges the four services'."""

from __future__ import annotations

import uuid
from typing import Any

from gateway.app import Gateway
from gateway.openapi import merge_documents
from gateway.settings import Settings as GatewaySettings

OPERATION_METHODS = ("get", "put", "post", "delete", "patch")


def merged_document(database_url: str) -> dict[str, Any]:
    """Every service's document merged with the gateway's own; no process or database is needed."""
    from elections.app import create_app as elections_app
    from elections.settings import Settings as ElectionsSettings
    from grid.app import create_app as grid_app
    from grid.settings import Settings as GridSettings
    from registry.app import create_app as registry_app
    from registry.settings import Settings as RegistrySettings
    from service_requests.app import create_app as requests_app
    from service_requests.settings import Settings as RequestsSettings

    upstreams = {
        "registry": registry_app(RegistrySettings(database_url=database_url, environment="test")).openapi(),
        "service-requests": requests_app(RequestsSettings(database_url=database_url, environment="test")).openapi(),
        "elections": elections_app(ElectionsSettings(database_url=database_url, environment="test")).openapi(),
        "grid": grid_app(GridSettings(database_url=database_url, environment="test")).openapi(),
    }
    gateway = Gateway(GatewaySettings(database_url=database_url, environment="test"))
    return merge_documents(gateway.own.openapi(), upstreams, unavailable=[])


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every operation."""
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in OPERATION_METHODS
    ]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a `$ref` points at (followed until it is not one)."""
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def plausible(document: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    """A value of the schema's type (not necessarily valid: enough that a bad value next to it is
    what the server looks at)."""
    schema = resolve(document, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [option for option in schema[key] if resolve(document, option).get("type") != "null"]
            return plausible(document, options[0], depth) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        required = schema.get("required", [])
        return {
            name: plausible(document, sub, depth + 1)
            for name, sub in schema.get("properties", {}).items()
            if name in required
        }
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    formats = {
        "uuid": str(uuid.uuid4()),
        "date": "2026-06-01",
        "date-time": "2026-06-01T08:00:00+08:00",
        "email": "a@example.com",
        "uri": "https://example.com/hook",
    }
    if schema.get("format") in formats:
        return formats[schema["format"]]
    return "a" * max(1, int(schema.get("minLength", 1)))
