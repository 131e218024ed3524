"""An incident received from another agency (an EIDO import), created in one Change.

The rules are the ordinary ones: the incident, its calls and its notes go through
`create_incident`, `calls.create`/`attach`/`end` and `note`, so an imported incident is refused
exactly where a typed one would be, and a refusal anywhere leaves nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.domain.operations import calls, incidents
from server.domain.world import Change


@dataclass(frozen=True, slots=True)
class ReceivedCall:
    fields: dict[str, Any]  # as `call.create` takes them: caller_name, caller_phone, location, description
    ended: bool = False  # the sender's call had ended: it is ended here too, attached to the incident


@dataclass(frozen=True, slots=True)
class Received:
    """What to create: the incident's fields (as `incident.create` takes them), its calls and its
    notes, in the order they are to be written."""

    incident: dict[str, Any] = field(default_factory=dict)
    calls: tuple[ReceivedCall, ...] = ()
    notes: tuple[str, ...] = ()


def create_received(ch: Change, received: Received) -> str:
    incident = incidents.create_incident(ch, **received.incident)
    for call in received.calls:
        created = calls.create(ch, call.fields)
        calls.attach(ch, created.id, incident.id)
        if call.ended:
            calls.end(ch, created.id)
    for text in received.notes:
        incidents.note(ch, incident.id, text)
    return incident.id
