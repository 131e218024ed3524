"""Log entries read as sentences; every automatic kind the server writes has its words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hurrinet_tui.format import age, log_words
from server.domain.incident import ChangeKind
from tests.support.desk import START

MARKET = {"kind": "place", "district": "CAS", "name": "Castries Market", "coordinates": {"lat": 14.0, "lon": -61.0}}


def auto(change: str, value) -> dict:
    return {"entry_type": "automatic", "change_data": {"change": change, "value": value}}


@pytest.mark.parametrize(("entry", "words"), [
    (auto("state", "active"), "State → active"),
    (auto("incident_type", "FLOOD"), "Type → FLOOD"),
    (auto("incident_type", None), "Type cleared"),
    (auto("incident_priority", "A"), "Priority → A"),
    (auto("location", MARKET), "Location → Castries Market, CAS"),
    (auto("location", None), "Location cleared"),
    (auto("description", "water rising"), "Description → water rising"),
    (auto("call_linked", "abcdefghijk"), "Call abcdef linked"),
    (auto("call_detached", "abcdefghijk"), "Call abcdef detached"),
    (auto("unit_assigned", "E12"), "Unit E12 assigned"),
    (auto("dispatch_timeout", "E12"), "Unit E12: dispatch not acknowledged in time"),
    (auto("dispatch_confirmed", "B1"), "Unit B1: dispatch confirmed by hand"),
    (auto("resource_allocated", {"resource": "Shelter", "quantity": 40}), "Resource allocated: resource Shelter, quantity 40"),
    (auto("resource_released", 40), "Resource released: 40"),
    (auto("alert_failed", {"unit": "E2", "target": "E2 pager", "reason": "HTTP 503", "attempt": 1, "final": False}),
     "Unit E2: alert to E2 pager failed (HTTP 503); attempt 1, retrying"),
    (auto("alert_failed", {"unit": "E2", "target": "E2 pager", "reason": "HTTP 503", "attempt": 4, "final": True}),
     "Unit E2: alert to E2 pager failed (HTTP 503); gave up after 4 attempts"),
    ({"entry_type": "manual", "description": "caller rang back"}, "caller rang back"),
])  # fmt: skip
def test_log_entries_in_words(entry, words):
    assert log_words(entry) == words


def test_every_change_kind_the_server_logs_has_words():
    for kind in ChangeKind:
        value = MARKET if kind is ChangeKind.LOCATION else "x"
        assert not log_words(auto(kind.value, value)).startswith(f"{kind.value}:"), kind


@pytest.mark.parametrize(("seconds", "shown"), [(0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h00"),
                                                (90061, "1d01")])  # fmt: skip
def test_ages_read_at_a_glance(seconds, shown):
    assert age("2026-09-01T12:00:00.000Z", START + timedelta(seconds=seconds)) == shown
