"""Read the rest of a refused request body before answering 413.

A server that answers while the client is still uploading and then closes the connection makes
most clients see a reset instead of the 413 Problem Details. The drain is bounded.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_LIMIT = 32 * 1024 * 1024
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class DrainRefusedBody:
    def __init__(self, app: ASGIApp, limit: int = DRAIN_LIMIT) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        finished = False

        async def tracking_receive() -> Message:
            nonlocal finished
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                finished = True
            return message

        async def draining_send(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.start" and message["status"] == 413 and not finished:
                drained = 0
                while not finished and drained <= self.limit:
                    chunk = await receive()
                    drained += len(chunk.get("body", b""))
                    finished = chunk["type"] != "http.request" or not chunk.get("more_body", False)
            await send(message)

        await self.app(scope, tracking_receive, draining_send)
