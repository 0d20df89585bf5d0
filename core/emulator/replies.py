"""The shapes of the emulator's answers: the API's own, and its gateway's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from .fields import iso


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    mangle: str | None = None  # one of MANGLES: how the answer is broken on the wire


# Broken answers Emulator.mangle_next() can give: the body cut off (Content-Length announces
# more, the connection closes), a body announced as gzip that is not, a 307 to the same URL.
MANGLES = ("truncated", "bad-gzip", "redirect-loop")


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, orjson.dumps(payload), headers or {})


def request_error(status: int, name: str, message: str) -> Reply:
    """A whole-request error, shaped like the API's own."""
    return json_reply(status, {"name": name, "message": message, "details": {}})


def gateway_error(status: int, code: int, message: str) -> Reply:
    """An error from the gateway in front of the API, which has its own (gRPC-style) shape."""
    return json_reply(status, {"code": code, "message": message})


def timestamp() -> str:
    return iso(datetime.now(UTC))
