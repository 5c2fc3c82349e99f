"""One OpenAPI document for the whole platform, merged from every upstream's `/openapi.json`.

Upstream documents are fetched lazily and cached. One that could not be fetched is retried at
most every `retry_seconds`, and a cached one is dropped when its upstream's breaker recovers.
While any upstream's document is missing the answer is 503 `OPENAPI_INCOMPLETE` with `Retry-After`:
a client (or a fuzzer) given a partial document would take the missing routes for absent ones.
"""

from __future__ import annotations

import asyncio
import copy
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import structlog

from gateway.routing import ANONYMOUS_PATHS, is_public_path
from shared.errors import ServiceUnavailable, describe_codes, open311_error_response, problem_responses
from shared.i18n import Text
from shared.query import OPEN311_PREFIX

logger = structlog.get_logger("gateway.openapi")

SECURITY_SCHEMES: dict[str, Any] = {
    "bearerJWT": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A user token (ES256/RS256) from the platform's issuer. "
        "Development: `python -m gateway.cli token --role platform_admin`.",
    },
    "partnerApiKey": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "bjp_<key_id>_<secret>",
        "description": "A partner's API key, issued by `POST /v1/partners/{partner_id}/api-keys`.",
    },
}
GLOBAL_SECURITY: list[dict[str, list[str]]] = [{"bearerJWT": []}, {"partnerApiKey": []}]


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


def _rewrite_refs(node: Any, refs: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: _rewrite_refs(value, refs) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(value, refs) for value in node]
    if isinstance(node, str) and node.startswith("#/components/"):
        return refs.get(node, node)
    return node


# What the gateway itself answers in front of every proxied operation: no or bad credentials,
# the caller's rate limit, an oversized body, an upstream that is down or whose breaker is open.
GATEWAY_ERRORS: dict[str, dict[str, Any]] = {
    str(status): response for status, response in problem_responses(401, 413, 429, 503).items()
}


def _with_gateway_errors(path: str, item: dict[str, Any]) -> dict[str, Any]:
    item = copy.deepcopy(item)
    for method, operation in item.items():
        if method not in ("get", "put", "post", "delete", "patch"):
            continue
        responses = operation.setdefault("responses", {})
        anonymous = path in ANONYMOUS_PATHS
        if anonymous:  # the gateway asks no credentials here (signing in, the key set)
            operation["security"] = []
        for status, response in GATEWAY_ERRORS.items():
            if status == "413" and "requestBody" not in operation:
                continue
            if status == "401" and anonymous:
                continue
            if path.startswith(OPEN311_PREFIX):
                # GeoReport v2 has no 401: missing or invalid credentials are 403 there
                status = "403" if status == "401" else status
                response = open311_error_response(response["description"])
            responses.setdefault(status, copy.deepcopy(response))
        describe_codes(responses)
    return item


def merge_documents(
    own: dict[str, Any],
    upstreams: Mapping[str, dict[str, Any]],
    *,
    unavailable: list[str],
    title: str = "Binjiang modern industrial community platform",
    version: str = "0.1.0",
) -> dict[str, Any]:
    """Public paths and components of every document; a component name two sources define
    differently is renamed with the source's name (`RegistryPage_Community_`)."""
    merged: dict[str, Any] = {
        "openapi": own.get("openapi", "3.1.0"),
        "info": {
            "title": title,
            "version": version,
            "description": "One API for the platform: the gateway routes each path to the service that owns it.",
        },
        "paths": {},
        "components": {"securitySchemes": copy.deepcopy(SECURITY_SCHEMES)},
        "security": GLOBAL_SECURITY,
        "tags": [],
    }
    if unavailable:
        merged["info"]["description"] += " Not included right now (unreachable): " + ", ".join(unavailable) + "."
        merged["x-unavailable-upstreams"] = unavailable
    seen_tags: set[str] = set()
    for source, document in [("gateway", own), *upstreams.items()]:
        components: dict[str, dict[str, Any]] = document.get("components", {})
        refs: dict[str, str] = {}
        for section, entries in components.items():
            if section == "securitySchemes":
                continue
            target = merged["components"].setdefault(section, {})
            for name, value in entries.items():
                new_name = name
                if name in target and target[name] != value:
                    new_name = _pascal(source) + name
                    counter = 2
                    while new_name in target and target[new_name] != value:
                        new_name = f"{_pascal(source)}{name}{counter}"
                        counter += 1
                refs[f"#/components/{section}/{name}"] = f"#/components/{section}/{new_name}"
        rewritten = _rewrite_refs(document, refs) if any(k != v for k, v in refs.items()) else document
        for section, entries in rewritten.get("components", {}).items():
            if section == "securitySchemes":
                continue
            for name, value in entries.items():
                new_name = refs[f"#/components/{section}/{name}"].rsplit("/", 1)[1]
                merged["components"][section][new_name] = value
        for path, item in rewritten.get("paths", {}).items():
            if source == "gateway" or is_public_path(source, path):
                merged["paths"][path] = _with_gateway_errors(path, item)
        for tag in rewritten.get("tags", []):
            if tag.get("name") not in seen_tags:
                seen_tags.add(tag["name"])
                merged["tags"].append(tag)
    if not merged["tags"]:
        del merged["tags"]
    return merged


class OpenApiIncomplete(ServiceUnavailable):
    code = "OPENAPI_INCOMPLETE"
    title = Text("接口文档暂不完整", "The API document is not complete yet")


class OpenApiMerger:
    """Caches each upstream's document and the merged result."""

    def __init__(
        self,
        own_document: Callable[[], dict[str, Any]],
        upstream_urls: Mapping[str, str],
        retry_seconds: float = 5.0,
        fetch_timeout: float = 3.0,
    ) -> None:
        self._own_document = own_document
        self._urls = dict(upstream_urls)
        self._retry_seconds = retry_seconds
        self._fetch_timeout = fetch_timeout
        self._documents: dict[str, dict[str, Any]] = {}
        self._last_attempt: dict[str, float] = {}
        self._merged: dict[str, Any] | None = None
        self._lock = asyncio.Lock()

    def invalidate(self, upstream: str) -> None:
        """Forget one upstream's document (it restarted and may have changed)."""
        self._documents.pop(upstream, None)
        self._last_attempt.pop(upstream, None)
        self._merged = None

    async def document(self, session: aiohttp.ClientSession) -> dict[str, Any]:
        """The merged document, fetching upstream documents that are missing; 503 while any still is."""
        now = time.monotonic()
        due = [
            name
            for name in self._urls
            if name not in self._documents and now - self._last_attempt.get(name, -1e9) >= self._retry_seconds
        ]
        if due:
            async with self._lock:
                fetched = await asyncio.gather(*(self._fetch(session, name) for name in due))
                for name, document in zip(due, fetched, strict=True):
                    self._last_attempt[name] = now
                    if document is not None:
                        self._documents[name] = document
                        self._merged = None
        missing = [name for name in self._urls if name not in self._documents]
        if missing:  # never cached: the next request tries again
            waited = time.monotonic() - min(self._last_attempt.get(name, 0.0) for name in missing)
            raise OpenApiIncomplete(
                Text("部分服务尚未就绪:" + "、".join(missing), "Not reachable yet: " + ", ".join(missing)),
                headers={"Retry-After": str(max(1, math.ceil(self._retry_seconds - waited)))},
                extra={"unavailable_upstreams": missing},
            )
        if self._merged is None:
            ordered = {name: self._documents[name] for name in self._urls}
            self._merged = merge_documents(self._own_document(), ordered, unavailable=[])
        return self._merged

    async def _fetch(self, session: aiohttp.ClientSession, name: str) -> dict[str, Any] | None:
        try:
            async with session.get(
                self._urls[name].rstrip("/") + "/openapi.json",
                timeout=aiohttp.ClientTimeout(total=self._fetch_timeout),
            ) as response:
                if response.status != 200:
                    return None
                document: dict[str, Any] = await response.json(content_type=None)
                return document
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            logger.warning("openapi_fetch_failed", upstream=name, error_type=type(exc).__name__)
            return None
