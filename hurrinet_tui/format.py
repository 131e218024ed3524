"""How things read on a dispatcher's screen: labels, ages, log entries in words (pure)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

UNIT_STATE_LABEL = {
    "unavailable": "OUT OF SVC",
    "available_radio": "AVAIL RADIO",
    "available_station": "AVAIL STN",
    "assigned_radio": "ASSIGNED",
    "assigned_station": "ASSIGNED STN",
    "dispatching": "DISPATCHING",
    "dispatched": "DISPATCHED",
    "en_route": "EN ROUTE",
    "on_scene": "ON SCENE",
}
# The component class (colour) of each unit state; the label above carries the meaning too.
UNIT_STATE_CLASS = {
    "unavailable": "roster--out",
    "available_radio": "roster--available",
    "available_station": "roster--available",
    "assigned_radio": "roster--assigned",
    "assigned_station": "roster--assigned",
    "dispatching": "roster--alerting",
    "dispatched": "roster--busy",
    "en_route": "roster--busy",
    "on_scene": "roster--scene",
}
# States as a sentence says them ("E1 is available (radio)"): never the wire's `available_radio`.
STATE_WORDS = {
    "unavailable": "out of service",
    "available_radio": "available (radio)",
    "available_station": "available (station)",
    "assigned_radio": "assigned (radio)",
    "assigned_station": "assigned (station)",
    "dispatching": "dispatching",
    "dispatched": "dispatched",
    "en_route": "en route",
    "on_scene": "on scene",
    "new": "new",
    "queued": "queued",
    "active": "active",
    "monitored": "monitored",
    "ended": "ended",
}
# The wire's other words a message may quote: field names and error codes.
FIELD_WORDS = {"incident_type": "type", "incident_priority": "priority", "caller_name": "caller's name",
               "caller_phone": "caller's phone", "outcome_rationale": "reason", "incident_id": "incident",
               "call_id": "call"}  # fmt: skip
ERROR_WORDS = {"bad_request": "bad request", "unknown_command": "unknown command", "validation": "invalid",
               "not_found": "not found", "invalid_transition": "not allowed now", "invariant": "refused",
               "forbidden": "not permitted", "conflict": "conflict", "internal": "server error"}  # fmt: skip
_WIRE_WORD = re.compile(r"\b(" + "|".join(sorted({*STATE_WORDS, *FIELD_WORDS}, key=len, reverse=True)) + r")\b")


def state_words(state: str | None) -> str:
    return STATE_WORDS.get(state or "", (state or "").replace("_", " "))


def in_words(message: str) -> str:
    """A server's message with its wire words (states, field names) said as a dispatcher says them."""
    return _WIRE_WORD.sub(lambda m: STATE_WORDS.get(m.group(1)) or FIELD_WORDS[m.group(1)], message)


def refusal(message: str, code: str) -> str:
    """A refusal as the workstation shows it: the reason in words, then what kind of refusal."""
    return f"{in_words(message)} ({ERROR_WORDS.get(code, code.replace('_', ' '))})"


def who(entry: dict[str, Any]) -> str:
    """Who wrote a log entry: a person's name, never a raw user id."""
    if entry.get("dispatcher_name"):
        return entry["dispatcher_name"]
    return "(unknown)" if entry.get("dispatcher") else "system"


INCIDENT_STATE_LABEL = {"new": "NEW", "queued": "QUEUED", "active": "ACTIVE", "monitored": "MONITOR", "ended": "ENDED"}
PRIORITY_CLASS = {"A": "board--prio-a", "B": "board--prio-b", "C": None, "D": None, "N": "board--prio-n"}

TIMESTAMP_LABEL = {
    "unit_assigned_at": "assigned",
    "unit_dispatched": "dispatched",
    "unit_en_route": "en route",
    "unit_on_scene": "on scene",
    "unit_available": "available",
    "unit_back_at_station": "at station",
    "unit_unassigned_at": "unassigned",
}


# The same, where the detail is narrow (80 columns): with HH:MM they fit without a cut.
TIMESTAMP_SHORT = {
    "unit_assigned_at": "assign",
    "unit_dispatched": "disp",
    "unit_en_route": "route",
    "unit_on_scene": "scene",
    "unit_available": "avail",
    "unit_back_at_station": "stn",
    "unit_unassigned_at": "unasg",
}


def parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def age(since: str | None, now: datetime) -> str:
    """Elapsed time as a dispatcher reads it at a glance: 45s, 12m, 3h05, 2d04."""
    moment = parse_time(since)
    if moment is None:
        return ""
    seconds = max(int((now - moment).total_seconds()), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}"


def clock(text: str | None, zone, seconds: bool = True) -> str:
    moment = parse_time(text)
    return moment.astimezone(zone).strftime("%H:%M:%S" if seconds else "%H:%M") if moment else ""


def location_summary(location: dict[str, Any] | None) -> str:
    if not location:
        return ""
    kind = location["kind"]
    if kind == "address":
        where = f"{location.get('number', '')} {location['street']}".strip()
    elif kind == "intersection":
        where = f"{location['road_a']} / {location['road_b']}"
    elif kind == "relative":
        where = f"near {location['reference']}"
    else:
        where = location["name"]
    return f"{where}, {location['district']}"


def staffing(value: dict[str, int] | None) -> str:
    if not value:
        return "–"
    return f"{value['officers']}+{value['subofficers']}+{value['crew']}"


# Automatic log entries: the fields a dispatcher may set or clear, and the events told as a sentence.
CLEARABLE = {"incident_type": "Type", "incident_priority": "Priority", "location": "Location", "description": "Description"}
SENTENCE = {
    "call_linked": "Call {value} linked",
    "call_detached": "Call {value} detached",
    "unit_assigned": "Unit {value} assigned",
    "dispatch_timeout": "Unit {value}: dispatch not acknowledged in time",
    "dispatch_confirmed": "Unit {value}: dispatch confirmed by hand",
}


def log_words(entry: dict[str, Any]) -> str:
    """A log entry as a sentence: manual notes as written, automatic ones in words."""
    if entry.get("description") is not None:
        return entry["description"]
    data = entry.get("change_data") or {}
    change, value = data.get("change"), data.get("value")
    if change == "state":
        return f"State → {state_words(value)}"
    if change in CLEARABLE:
        label = CLEARABLE[change]
        shown = location_summary(value) if change == "location" else value
        return f"{label} → {shown}" if value else f"{label} cleared"
    if change in SENTENCE:
        return SENTENCE[change].format(value=str(value)[:6] if change.startswith("call_") else value)
    if change == "alert_failed":
        return alert_failure(value) if isinstance(value, dict) else f"Alert not delivered: {value}"
    if change in ("resource_allocated", "resource_released"):
        return f"Resource {change.removeprefix('resource_')}: {_quantity(value)}"
    if isinstance(value, str) and value in STATE_WORDS:
        value = state_words(value)
    return f"{str(change).replace('_', ' ')}: {value}"


def alert_failure(value: dict[str, Any]) -> str:
    """A failed alert delivery: which unit, which target, why, and whether it is retried."""
    then = f"gave up after {value['attempt']} attempts" if value.get("final") else f"attempt {value['attempt']}, retrying"
    return f"Unit {value['unit']}: alert to {value['target']} failed ({value['reason']}); {then}"


def _quantity(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)
