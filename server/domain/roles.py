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


def check_allowed(role: str | None, command: str, query: bool = False) -> None:
    if role in (Role.DISPATCHER, Role.SUPERVISOR):
        return
    if role == Role.OBSERVER and query:
        return
    if role == Role.UNIT and command in UNIT_COMMANDS:
        return
    raise Forbidden(f"the {role or 'unknown'} role may not issue {command}", command=command, role=role)


def check_own_unit(role: str | None, bound: str | None, command: str, args: object) -> None:
    """A unit account changes only its own unit and acknowledges only its own alerts: every
    command open to it names a `unit`, which must be the callsign the account is bound to."""
    if role != Role.UNIT or command not in UNIT_COMMANDS:
        return
    named = getattr(args, "unit", None)
    if bound is None:
        raise Forbidden("this unit account is bound to no unit; re-add it with --unit CALLSIGN",
                        command=command, role=role)  # fmt: skip
    if not isinstance(named, str) or named.strip().upper() != bound:
        raise Forbidden(f"the account of unit {bound} may not act for unit {named}", command=command,
                        unit=named, bound_unit=bound)  # fmt: skip
