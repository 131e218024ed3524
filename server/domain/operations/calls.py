"""Call operations: take a call, link it to an incident, end it with an outcome."""

from __future__ import annotations

from typing import Any

from server.domain.call import (
    NEEDED_TO_END,
    OUTCOME_WORDS,
    PICKABLE,
    Call,
    CallState,
    Outcome,
    ensure_active,
    missing_to_end,
)
from server.domain.errors import Conflict, InvariantViolated, ValidationFailed, join_words
from server.domain.incident import ChangeKind as Kind
from server.domain.incident import Incident, IncidentState, check_priority_n, ensure_open
from server.domain.operations import log
from server.domain.operations.incidents import parse_location
from server.domain.records import replace
from server.domain.reference import Priority
from server.domain.values import CALLER_NAME_MAX, DESCRIPTION_MAX, check_text, parse_phone
from server.domain.world import Change


def _parse_outcome(value: Any) -> Outcome | None:
    if value is None:
        return None
    try:
        outcome = Outcome(value)
    except ValueError:
        outcome = None
    if outcome not in PICKABLE:
        raise ValidationFailed(
            f"the outcome must be {join_words([OUTCOME_WORDS[o] for o in Outcome if o in PICKABLE]).replace(' and ', ' or ')}; "
            "'incident created' and 'attached to an incident' are set by creating or attaching an incident",
            field="outcome",
        )
    return outcome


def _parse_fields(ch: Change, fields: dict[str, Any]) -> dict[str, Any]:
    parsers = {
        "caller_name": lambda v: check_text("caller_name", v, CALLER_NAME_MAX),
        "caller_phone": parse_phone,
        "location": lambda v: parse_location(ch, v),
        "description": lambda v: check_text("description", v, DESCRIPTION_MAX) or "",
        "outcome": _parse_outcome,
        "outcome_rationale": lambda v: check_text("outcome_rationale", v, DESCRIPTION_MAX),
    }
    unknown = sorted(set(fields) - set(parsers))
    if unknown:
        raise ValidationFailed(f"a call has no field {', '.join(unknown)}", fields=unknown)
    return {name: parsers[name](value) for name, value in fields.items()}


def create(ch: Change, fields: dict[str, Any]) -> Call:
    parsed = _parse_fields(ch, {k: v for k, v in fields.items() if v is not None})
    if "outcome" in parsed:
        raise ValidationFailed("a new call has no outcome yet", field="outcome")
    call = Call(
        id=ch.new_id(),
        state=CallState.ACTIVE,
        receiving_dispatcher=ch.actor.user_id,
        call_started=ch.now,
        **parsed,
    )
    ch.emit("call.created", call=ch.put_call(call))
    return call


def update(ch: Change, call_id: str, fields: dict[str, Any]) -> Call:
    call = ch.call(call_id)
    parsed = _parse_fields(ch, fields)
    if call.ended and ({"outcome", "outcome_rationale"} & set(parsed)):
        raise InvariantViolated(f"call {call_id} has ended; its outcome is frozen", call_id=call_id)
    if "outcome" in parsed and parsed["outcome"] is None and call.outcome not in PICKABLE | {None}:
        raise InvariantViolated(
            f"the outcome '{OUTCOME_WORDS[call.outcome]}' is set by its action; detach the call instead",
            call_id=call_id,
        )
    updated = replace(call, **parsed)
    if updated != call:
        ch.emit("call.updated", call=ch.put_call(updated))
    return updated


def _unlinked(call: Call) -> None:
    if call.incident_id is not None:
        raise Conflict(
            f"call {call.id} is already linked to incident {call.incident_id}; detach it first",
            call_id=call.id,
            incident_id=call.incident_id,
        )


def _link(ch: Change, call: Call, incident: Incident, outcome: Outcome) -> tuple[Call, Incident]:
    call = ch.put_call(replace(call, incident_id=incident.id, outcome=outcome, outcome_rationale=None))
    incident = replace(incident, call_ids=(*incident.call_ids, call.id))
    check_priority_n(incident, has_public_calls=True)
    incident, _ = log.automatic(ch, incident, Kind.CALL_LINKED, call.id)
    return call, ch.put_incident(incident)


def create_incident(ch: Change, call_id: str) -> str:
    call = ch.call(call_id)
    ensure_active(call, "create an incident from it")
    _unlinked(call)
    # Independent copies (values are immutable): the caller's words are what the dispatcher reads
    # first, and later edits of either side leave the other alone.
    incident = Incident(
        id=ch.new_id(),
        state=IncidentState.NEW,
        incident_created=ch.now,
        location=call.location,
        description=call.description,
    )
    if call.location is not None:
        incident, _ = log.automatic(ch, incident, Kind.LOCATION, call.location)
    if call.description:
        incident, _ = log.automatic(ch, incident, Kind.DESCRIPTION, call.description)
    call, incident = _link(ch, call, incident, Outcome.INCIDENT_CREATED)
    ch.emit("incident.created", incident=incident)
    ch.emit("call.updated", call=call, incident=incident)
    return incident.id


def attach(ch: Change, call_id: str, incident_id: str) -> None:
    call = ch.call(call_id)
    ensure_active(call, "attach it")
    _unlinked(call)
    incident = ch.incident(incident_id)
    ensure_open(incident)
    if incident.incident_priority is Priority.N:
        raise InvariantViolated(
            "an operational order (priority N) cannot be linked to calls from the public",
            incident_id=incident_id,
        )
    call, incident = _link(ch, call, incident, Outcome.ATTACHED_TO_INCIDENT)
    ch.emit("call.updated", call=call, incident=incident, log_entry=incident.log[-1])


def detach(ch: Change, call_id: str) -> None:
    call = ch.call(call_id)
    ensure_active(call, "detach it")
    if call.outcome is not Outcome.ATTACHED_TO_INCIDENT or call.incident_id is None:
        reason = (
            "a call that created its incident can never be detached"
            if call.outcome is Outcome.INCIDENT_CREATED
            else "only a call attached to an incident can be detached"
        )
        raise InvariantViolated(reason, call_id=call_id)
    incident = ch.incident(call.incident_id)
    ensure_open(incident)
    call = ch.put_call(replace(call, incident_id=None, outcome=None))
    incident = replace(incident, call_ids=tuple(c for c in incident.call_ids if c != call.id))
    log.record(ch, incident, Kind.CALL_DETACHED, call.id, "call.updated", call=call)


def copy_location(ch: Change, call_id: str) -> None:
    call = ch.call(call_id)
    if call.incident_id is None:
        raise InvariantViolated(f"call {call_id} is not linked to an incident", call_id=call_id)
    if call.location is None:
        raise InvariantViolated(f"call {call_id} has no location to copy", call_id=call_id)
    incident = ch.incident(call.incident_id)
    ensure_open(incident)
    if incident.location == call.location:
        return
    log.record(ch, replace(incident, location=call.location), Kind.LOCATION, call.location, "incident.updated")


def end(ch: Change, call_id: str) -> None:
    call = ch.call(call_id)
    ensure_active(call, "end it again")
    missing = missing_to_end(call)
    if missing:
        raise InvariantViolated(
            f"the call needs {join_words([NEEDED_TO_END[m] for m in missing])} before it can be ended",
            call_id=call_id,
            missing=missing,
        )
    ch.emit("call.ended", call=ch.put_call(replace(call, state=CallState.ENDED, call_ended=ch.now)))

