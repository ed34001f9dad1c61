"""Request limits as ASGI middleware: a per-client token bucket and a body-size cap.

The client is the credential it presents (a hash of the bearer token or API key, so a
system with many addresses is one client), else its address. A bucket holds ``burst``
tokens and refills at ``rate`` per second; a request takes one or gets 429 with
``Retry-After``. Bodies longer than the cap get 413, whether announced by
``Content-Length`` or found while streaming.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
EXEMPT = ("/api/v1/health",)


class TokenBuckets:
    """Token buckets per client key (in process; enough for one server process)."""

    def __init__(self, rate: float, burst: int, max_clients: int = 100_000) -> None:
        self.rate, self.burst, self.max_clients = rate, float(burst), max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """0 when the request may go, else the seconds until a token is there."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                if len(self._buckets) >= self.max_clients and key not in self._buckets:
                    self._buckets.clear()  # a flood of new clients: start again
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate


async def _problem(send: Send, status: int, title: str, detail: str,
                   headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"type": "about:blank", "title": title, "status": status,
                       "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def _client_key(scope: Scope) -> str:
    headers = dict(scope.get("headers") or [])
    credential = headers.get(b"authorization") or headers.get(b"x-api-key")
    if credential:
        return hashlib.sha256(credential).hexdigest()[:32]
    client = scope.get("client")
    return f"addr:{client[0] if client else 'unknown'}"


class _TooLarge(Exception):
    pass


class LimitsMiddleware:
    def __init__(self, app: ASGIApp, *, rate: float, burst: int, max_body: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate, burst)
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(_client_key(scope))
        if wait:
            await _problem(send, 429, "Too Many Requests",
                           f"rate limit of {self.buckets.rate:g} requests/s exceeded",
                           [(b"retry-after", str(max(1, round(wait + 0.5))).encode())])
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _problem(send, 413, "Content Too Large",
                           f"request body above {self.max_body:,} bytes")
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _TooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except _TooLarge:
            if not started:
                await _problem(send, 413, "Content Too Large",
                               f"request body above {self.max_body:,} bytes")
