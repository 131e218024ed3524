"""Who may issue which command. Observers read everything and change nothing: they may ask
queries (classification, recommendations), which change nothing either."""

from __future__ import annotations

from enum import StrEnum

from server.domain.errors import Forbidden


class Role(StrEnum):
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    OBSERVER = "observer"
    UNIT = "unit"


# A mobile terminal reports its own status, staffing and position, and acknowledges alerts.
UNIT_COMMANDS = frozenset({"unit.set_state", "unit.set_staffing", "unit.set_position", "alert.ack"})
# Supervisors' views (statistics): observers may read them, dispatchers do not get them.
SUPERVISOR_QUERIES = frozenset({"stats"})


def check_allowed(role: str | None, command: str, query: bool = False) -> None:
    if command in SUPERVISOR_QUERIES:
        if role in (Role.SUPERVISOR, Role.OBSERVER):
            return
        raise Forbidden(f"the {role or 'unknown'} role may not issue {command}", command=command, role=role)
    if role in (Role.DISPATCHER, Role.SUPERVISOR):
        return
    if role == Role.OBSERVER and query:
        return
    if role == Role.UNIT and command in UNIT_COMMANDS:
        return
    raise Forbidden(f"the {role or 'unknown'} role may not issue {command}", command=command, role=role)
