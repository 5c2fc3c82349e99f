"""Reading a request body whole at the gateway, and handing it on as if it were never read.

The proxy streams large bodies; small ones, and the paths that must see the bytes first (the
Open311 `api_key` form field, signed partner requests), are read whole, bounded by
`GATEWAY_MAX_BODY_BYTES`.
"""

from __future__ import annotations

from starlette.types import Message, Receive

from shared.errors import body_too_large


class ClientDisconnected(Exception):
    """The client went away before sending its whole body; there is nobody to answer."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole body; 413 Problem Details beyond `limit` bytes, `ClientDisconnected` if the client left."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise body_too_large()
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def replay(body: bytes) -> Receive:
    """A `receive` that delivers `body` once, then reports the client gone."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
