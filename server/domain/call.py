"""Calls: lifecycle (active → ended) and outcome rules."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from server.domain.errors import InvariantViolated
from server.domain.location import Location
from server.domain.records import record


class CallState(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class Outcome(StrEnum):
    INCIDENT_CREATED = "incident_created"
    ATTACHED_TO_INCIDENT = "attached_to_incident"
    CALLER_ADVISED = "caller_advised"
    HOAX = "hoax"
    ACCIDENTAL = "accidental"
    OTHER_NO_ACTIONS_TAKEN = "other_no_actions_taken"


# An outcome as a dispatcher reads it in a message.
OUTCOME_WORDS = {
    Outcome.INCIDENT_CREATED: "incident created",
    Outcome.ATTACHED_TO_INCIDENT: "attached to an incident",
    Outcome.CALLER_ADVISED: "caller advised",
    Outcome.HOAX: "hoax",
    Outcome.ACCIDENTAL: "accidental",
    Outcome.OTHER_NO_ACTIONS_TAKEN: "other (no actions taken)",
}
# What a call lacks before it can end, as the end of "the call needs …".
NEEDED_TO_END = {"outcome": "an outcome", "outcome_rationale": "a reason for its outcome",
                 "incident_id": "its incident"}  # fmt: skip

# Outcomes set by actions (create incident, attach) cannot be picked by hand.
SET_BY_ACTION = frozenset({Outcome.INCIDENT_CREATED, Outcome.ATTACHED_TO_INCIDENT})
PICKABLE = frozenset(Outcome) - SET_BY_ACTION
NEEDS_RATIONALE = PICKABLE
NEEDS_INCIDENT = SET_BY_ACTION


@record
class Call:
    id: str
    state: CallState
    receiving_dispatcher: str | None
    call_started: datetime
    call_ended: datetime | None = None
    caller_name: str | None = None
    caller_phone: str | None = None
    location: Location | None = None
    description: str = ""
    outcome: Outcome | None = None
    outcome_rationale: str | None = None
    incident_id: str | None = None

    @property
    def ended(self) -> bool:
        return self.state is CallState.ENDED


def ensure_active(call: Call, action: str) -> None:
    """After ending, outcome and incident link are frozen."""
    if call.ended:
        raise InvariantViolated(f"call {call.id} has ended; cannot {action}", call_id=call.id)


def missing_to_end(call: Call) -> list[str]:
    missing = []
    if call.outcome is None:
        missing.append("outcome")
    elif call.outcome in NEEDS_RATIONALE and not call.outcome_rationale:
        missing.append("outcome_rationale")
    elif call.outcome in NEEDS_INCIDENT and call.incident_id is None:
        missing.append("incident_id")
    return missing
