"""Decoding a client's frame and checking its envelope, before anything else looks at it.

Pure: text or bytes in, a checked frame out, or a `FrameError` whose code and message the hub
answers with (the session stays open). What this module refuses never reaches the runner, the
store, the audit log or the log file, and whatever of the frame it quotes back is cut to
`protocol.MAX_QUOTED_CHARS`, so a hostile frame is never echoed, stored or logged at full size:

- over `protocol.MAX_FRAME_BYTES`, not UTF-8, not JSON, or NaN/Infinity (orjson refuses them);
- nested deeper than `protocol.MAX_FRAME_DEPTH` (a 3,000-deep array used to end the session with
  1011 from a RecursionError);
- any string, key or value, holding a lone surrogate escape such as `"\\ud800"` (it cannot be
  encoded as UTF-8, so it used to fail the insert or the send, closing the session or answering
  `internal` on every resend); the refusal names the field;
- a key over `protocol.MAX_KEY_CHARS` or an object over `protocol.MAX_OBJECT_KEYS` keys (a
  refusal of unexpected fields names each one, so a 60,000-character key would be echoed);
- not an object, or a `type` other than `hello`, `snapshot.ack` and `command`;
- a command whose `command_id` or `name` is not a string of 1–64 characters, or whose name is no
  command of the protocol (`unknown_command`, answered here, never stored as a command result).
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson

from server import protocol

_SURROGATE = re.compile("[\ud800-\udfff]")
# Tokens that matter for nesting: strings (skipped whole, escapes included) and brackets.
_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


@dataclass
class FrameError(Exception):
    """A frame refused before it reaches the runner: answered with `result` ok false."""

    code: str
    message: str
    command_id: str | None = None  # the frame's, when it had a usable one
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def frame(self) -> dict[str, Any]:
        return {"type": "result", "command_id": self.command_id, "ok": False,
                "error": {"code": self.code, "message": self.message, "details": self.details}}  # fmt: skip


def quote(text: str, limit: int = protocol.MAX_QUOTED_CHARS) -> str:
    """`text` as a repr, cut to `limit` characters with an ellipsis and its full length."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def decode(message: str | bytes) -> dict[str, Any]:
    """The frame as a dict with a checked envelope, or FrameError."""
    size = len(message.encode("utf-8", "surrogatepass") if isinstance(message, str) else message)
    if size > protocol.MAX_FRAME_BYTES:
        raise FrameError("bad_request", f"frame of {size:,} bytes is over the {protocol.MAX_FRAME_BYTES:,} byte limit",
                         details={"bytes": size, "limit": protocol.MAX_FRAME_BYTES})  # fmt: skip
    frame = _parse(message)
    if not _within_limits(frame):  # then find which limit, and where, for the answer
        _check_depth(frame)
        _check_text(frame)
    if not isinstance(frame, dict):
        raise FrameError("bad_request", "a frame is a JSON object with a type")
    kind = frame.get("type")
    if kind in ("hello", "snapshot.ack"):
        return frame
    if kind == "command":
        _check_command(frame)
        return frame
    shown = quote(kind) if isinstance(kind, str) else type(kind).__name__
    raise FrameError("bad_request", f"unknown frame type {shown}; a client sends hello, snapshot.ack or command",
                     command_id=_usable_id(frame.get("command_id")), details={"field": "type"})  # fmt: skip


def _parse(message: str | bytes) -> Any:
    try:
        return orjson.loads(message)
    except orjson.JSONDecodeError as error:
        refused = error
    # orjson refuses a lone surrogate without saying where; find the field for the answer.
    text = message
    if isinstance(message, bytes):
        try:
            text = message.decode("utf-8")
        except UnicodeDecodeError:
            raise FrameError("bad_request", "a frame is UTF-8 text") from None
    if _scan_depth(text) > protocol.MAX_FRAME_DEPTH:
        raise _too_deep()
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError("bad_request", f"malformed JSON: {refused}") from None
    _check_text(parsed)
    raise FrameError("bad_request", f"malformed JSON: {refused}")


def _too_deep() -> FrameError:
    limit = protocol.MAX_FRAME_DEPTH
    return FrameError("bad_request", f"frame nested deeper than {limit} levels", details={"limit": limit})


def _scan_depth(text: str) -> int:
    depth = deepest = 0
    for token in _NESTING.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _within_limits(value: Any) -> bool:
    """Whether a parsed frame keeps the limits on depth, keys per object and key length: one
    walk without the paths an answer names (a third of a command's decoding was building them).
    Its text needs no look: orjson refuses a lone surrogate, escaped or not."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > protocol.MAX_FRAME_DEPTH:
            return False
        if type(item) is dict:
            if len(item) > protocol.MAX_OBJECT_KEYS:
                return False
            for key, child in item.items():
                if len(key) > protocol.MAX_KEY_CHARS:
                    return False
                if type(child) is dict or type(child) is list:
                    stack.append((child, depth + 1))
        elif type(item) is list:  # only containers are pushed
            stack.extend((child, depth + 1) for child in item if type(child) is dict or type(child) is list)
    return True


def _check_depth(value: Any) -> None:
    """Iteratively, so the check itself cannot recurse."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > protocol.MAX_FRAME_DEPTH:
                raise _too_deep()
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def _check_text(value: Any) -> None:
    """Refuse a lone surrogate anywhere (keys too), naming where it is."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise _surrogate(path or "frame")
        elif isinstance(item, dict):
            if len(item) > protocol.MAX_OBJECT_KEYS:
                raise FrameError("bad_request", f"{_short(path or 'frame')}: an object of {len(item):,} keys is over "
                                 f"the {protocol.MAX_OBJECT_KEYS}-key limit", details={"field": _short(path or "frame")})  # fmt: skip
            for key, child in item.items():
                if _SURROGATE.search(key):
                    raise _surrogate(f"{path}.<key>" if path else "<key>")
                if len(key) > protocol.MAX_KEY_CHARS:
                    # a field name is quoted back by a refusal: never at full size
                    raise FrameError("bad_request", f"{_short(path or 'frame')}: a key of {len(key):,} characters is "
                                     f"over the {protocol.MAX_KEY_CHARS}-character limit: {quote(key)}",
                                     details={"field": f"{_short(path)}.<key>" if path else "<key>"})  # fmt: skip
                stack.append((child, f"{path}.{key}" if path else key))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{n}]") for n, child in enumerate(item))


def _short(path: str) -> str:
    return path if len(path) <= protocol.MAX_QUOTED_CHARS else path[: protocol.MAX_QUOTED_CHARS] + "…"


def _surrogate(where: str) -> FrameError:
    where = _short(where)
    return FrameError("bad_request", f"{where}: text holds a lone surrogate escape (not valid Unicode)",
                      details={"field": where})  # fmt: skip


def _usable_id(command_id: Any) -> str | None:
    ok = isinstance(command_id, str) and 0 < len(command_id) <= protocol.MAX_COMMAND_ID_CHARS
    return command_id if ok else None


def _check_command(frame: dict[str, Any]) -> None:
    command_id, name = frame.get("command_id"), frame.get("name")
    limit = protocol.MAX_COMMAND_ID_CHARS
    if _usable_id(command_id) is None:
        got = f"{len(command_id):,} characters" if isinstance(command_id, str) else type(command_id).__name__
        raise FrameError("bad_request", f"command_id must be a string of 1–{limit} characters (got {got})",
                         details={"field": "command_id"})  # fmt: skip
    if not isinstance(name, str) or not name:
        raise FrameError("bad_request", "name must be a command name (a non-empty string)", command_id,
                         {"field": "name"})  # fmt: skip
    if name not in protocol.COMMANDS:
        raise FrameError("unknown_command", f"unknown command {quote(name)}", command_id,
                         {"field": "name", "length": len(name)})  # fmt: skip
    if "args" in frame and not isinstance(frame["args"], dict):
        raise FrameError("bad_request", "args must be an object", command_id, {"field": "args"})


CLOSE_INVALID_REASON = (f"over {protocol.INVALID_FRAMES_LIMIT} invalid frames in "
                        f"{protocol.INVALID_FRAMES_WINDOW_S:g} s; fix the client")  # fmt: skip


@dataclass
class InvalidFrames:
    """A session's recent refused frames: more than the limit within the window closes it."""

    limit: int = protocol.INVALID_FRAMES_LIMIT
    window_s: float = protocol.INVALID_FRAMES_WINDOW_S
    times: deque[float] = field(default_factory=deque)

    def refused(self, now: float) -> bool:
        """Count one refused frame; True when the session is over the limit."""
        self.times.append(now)
        while self.times and self.times[0] <= now - self.window_s:
            self.times.popleft()
        return len(self.times) > self.limit
