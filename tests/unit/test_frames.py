"""Frame decoding and envelope checks (server/net/frames.py): pure, table-driven."""

from __future__ import annotations

import json

import pytest

from server import protocol
from server.net.frames import FrameError, InvalidFrames, decode, quote


def _refusal(message: str | bytes) -> FrameError:
    with pytest.raises(FrameError) as caught:
        decode(message)
    return caught.value


def test_a_command_and_a_hello_pass_unchanged():
    command = {"type": "command", "command_id": "c1", "name": "incident.create", "args": {"description": "🌊"}}
    assert decode(json.dumps(command)) == command
    assert decode(b'{"type":"hello","protocol":1,"last_seq":null}')["type"] == "hello"


@pytest.mark.parametrize(
    "message, code, field",
    [
        ("[" * 33 + "]" * 33, "bad_request", None),
        ('{"type":"command","args":' + "[" * 5000 + "]" * 5000 + "}", "bad_request", None),
        ('{"type":"command","args":' + '{"a":' * 2000 + "1" + "}" * 2000 + "}", "bad_request", None),
        (r'{"type":"command","command_id":"\ud800","name":"incident.create"}', "bad_request", "command_id"),
        (r'{"type":"command","command_id":"c","name":"x","args":{"a":[1,{"b":"\udc00"}]}}', "bad_request", "args.a[1].b"),
        ("{\"type\":\"hello\",\"x\":\"\ud800\"}", "bad_request", "x"),  # a raw surrogate in a str
        (b"\xff\xfe", "bad_request", None),
        ('{"type":"command","command_id":"c","name":"unit.set_staffing","args":{"crew":NaN}}', "bad_request", None),
        ('{"type":"command","command_id":"c","name":"incident.create","args":{"q":1e999}}', "bad_request", None),
        ("[1]", "bad_request", None),
        ('{"type":"gossip"}', "bad_request", "type"),
        ('{"type":"command","command_id":"","name":"incident.create"}', "bad_request", "command_id"),
        ('{"type":"command","command_id":"c","name":5}', "bad_request", "name"),
        ('{"type":"command","command_id":"c","name":"incident.explode"}', "unknown_command", "name"),
        ('{"type":"command","command_id":"c","name":"incident.create","args":[]}', "bad_request", "args"),
        (json.dumps({"type": "command", "command_id": "c", "name": "incident.create", "args": {"k" * 65: 1}}),
         "bad_request", "args.<key>"),
        (json.dumps({"type": "command", "command_id": "c", "name": "incident.create",
                     "args": {f"f{n}": 0 for n in range(65)}}), "bad_request", "args"),
    ],
)  # fmt: skip
def test_refusals_name_the_problem(message, code, field):
    error = _refusal(message)
    assert error.code == code
    assert error.details.get("field") == field


def test_nothing_hostile_is_quoted_at_full_size():
    error = _refusal(json.dumps({"type": "command", "command_id": "c", "name": "n" * 60_000}))
    assert error.command_id == "c" and len(error.message) < 200 and "60,000 characters" in error.message
    error = _refusal(json.dumps({"type": "command", "command_id": "i" * 1000, "name": "incident.create"}))
    assert error.command_id is None and "i" * 65 not in error.message
    assert quote("abc") == "'abc'" and quote("x" * 100).endswith("… (100 characters)")


def test_an_oversize_frame_is_refused_before_parsing():
    error = _refusal('"' + "x" * protocol.MAX_FRAME_BYTES + '"')
    assert error.details["limit"] == protocol.MAX_FRAME_BYTES


def test_invalid_frames_over_the_limit_within_the_window_close():
    counter = InvalidFrames(limit=3, window_s=10)
    assert [counter.refused(t) for t in (0, 1, 2)] == [False, False, False]
    assert counter.refused(3) is True
    assert counter.refused(20) is False  # the window moved on
