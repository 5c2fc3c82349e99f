"""The merged OpenAPI document built in-process, exactly as the gateway merges the four services'."""

from __future__ import annotations

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
