"""The few domain rules the workstation shows before a command is sent (pure).

The server decides; these only spare a dispatcher a round trip and keep impossible choices off
the screen (a transition that cannot happen is not offered). Where the wire contract carries a
rule (`server.protocol`), it is read from there; the incident lifecycle is not on the wire, so
it is mirrored from `domain.md`, and a test pins it to the server's own table.
"""

from __future__ import annotations

from typing import Any, get_args

from server.protocol import CallUpdate

# Outcomes a call taker picks; `incident_created` and `attached_to_incident` come from actions.
PICKABLE_OUTCOMES: tuple[str, ...] = next(
    get_args(choice) for choice in get_args(CallUpdate.model_fields["outcome"].annotation) if get_args(choice)
)
OUTCOME_LABEL = {
    "incident_created": "incident created",
    "attached_to_incident": "attached to incident",
    "caller_advised": "caller advised",
    "hoax": "hoax",
    "accidental": "accidental",
    "other_no_actions_taken": "other, no action taken",
}
# Every pickable outcome needs a reason written down (domain.md, Call).
NEEDS_RATIONALE = frozenset(PICKABLE_OUTCOMES)

INCIDENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("queued", "active", "monitored", "ended"),
    "queued": ("active", "monitored", "ended"),
    "active": ("monitored", "ended"),
    "monitored": ("queued", "active", "ended"),
    "ended": (),
}
# Fields an incident needs before it may be queued or made active.
NEEDED_TO_PROCEED = ("incident_type", "incident_priority", "location")
REQUIRED_BEFORE = {"queued": NEEDED_TO_PROCEED, "active": NEEDED_TO_PROCEED}


def transitions_now(incident: dict[str, Any]) -> tuple[str, ...]:
    """The states a dispatcher may set by hand now (ending is `close`, offered apart)."""
    return tuple(s for s in INCIDENT_TRANSITIONS[incident["state"]] if s != "ended")


def missing_for(incident: dict[str, Any], state: str) -> list[str]:
    """Fields the incident still lacks before it can take `state`."""
    return [f for f in REQUIRED_BEFORE.get(state, ()) if not incident.get(f)]


def missing_to_end(call: dict[str, Any], outcome: str | None = None, rationale: str | None = None) -> list[str]:
    """What a call still needs before it can end (the form's values override the call's)."""
    outcome = outcome if outcome is not None else call.get("outcome")
    rationale = rationale if rationale is not None else call.get("outcome_rationale")
    if not outcome:
        return ["outcome"]
    if outcome in NEEDS_RATIONALE and not (rationale or "").strip():
        return ["outcome_rationale"]
    return []
