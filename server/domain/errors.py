"""Typed domain errors. Each carries a protocol error code, a plain message and details."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command was refused. `code` is one of the protocol's error codes."""

    code = "invariant"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_wire(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, {self.details!r})"


class BadRequest(DomainError):
    """The frame or the command's arguments are not of the protocol's shape."""

    code = "bad_request"


class UnknownCommand(DomainError):
    code = "unknown_command"


class ValidationFailed(DomainError):
    """A value breaks a validation rule (length, format, range, service area)."""

    code = "validation"


class NotFound(DomainError):
    code = "not_found"


class InvalidTransition(DomainError):
    """A state machine was asked for a transition its table does not allow."""

    code = "invalid_transition"


class InvariantViolated(DomainError):
    """The change would break an invariant (missing fields, open assignments, ended incident)."""

    code = "invariant"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


def join_words(items: list[str] | tuple[str, ...]) -> str:
    """'a, b and c': lists in messages read as a dispatcher would say them."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


# Field names as a dispatcher reads them in a message (the `field` detail keeps the wire name).
FIELD_SAID = {
    "caller_name": "the caller's name",
    "caller_phone": "the phone number",
    "outcome_rationale": "the reason for the outcome",
    "incident_type": "the type",
    "incident_priority": "the priority",
    "in_use": "in use",
}


_LOCATION_SAID = {"road_a": "road A", "road_b": "road B", "reference": "reference place"}


def location_field(name: str) -> str:
    return _LOCATION_SAID.get(name, name.replace("_", " "))


def said(field: str) -> str:
    if field.startswith("location."):
        return f"the location's {location_field(field.removeprefix('location.'))}"
    return FIELD_SAID.get(field, field.replace("_", " "))
