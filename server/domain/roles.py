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


# Every signed-in user may lock a screen: each sets and checks only their own PIN.
ACCOUNT_COMMANDS = frozenset({"account.set_pin", "account.verify_pin", "account.pin_status"})


def check_allowed(role: str | None, command: str, query: bool = False) -> None:
    if command in SUPERVISOR_QUERIES:
        if role in (Role.SUPERVISOR, Role.OBSERVER):
            return
        raise Forbidden(f"the {role or 'unknown'} role may not issue {command}", command=command, role=role)
    if role in (Role.DISPATCHER, Role.SUPERVISOR):
        return
    if role in set(Role) and command in ACCOUNT_COMMANDS:
        return
    if role == Role.OBSERVER and query:
        return
    if role == Role.UNIT and command in UNIT_COMMANDS:
        return
    raise Forbidden(_refusal(role), command=command, role=role)


def _refusal(role: str | None) -> str:
    if role == Role.OBSERVER:
        return "an observer can look but not change anything"
    if role == Role.UNIT:
        return "a unit's terminal reports only its own state, staffing and position, and acknowledges alerts"
    return f"the {role or 'unknown'} role may not do this"


def may_read_incidents(role: str | None) -> bool:
    """Who may follow incidents from outside a workstation (the EIDO feed): every role that
    reads the board; a unit's terminal sees only its own work."""
    return role in (Role.DISPATCHER, Role.SUPERVISOR, Role.OBSERVER)


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
