"""Commands waiting for the server's answer: in order, bounded, each with its age, cancellable.

Pure bookkeeping (no I/O, no event loop): the link decides when entries go out and resolves
their futures; this module keeps them in submission order, refuses the one too many, says which
are worth showing a dispatcher, and remembers refusals of commands that had to wait, so the
line that caused one can be shown beside it after the link comes back.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

DEFAULT_LIMIT = 100  # a shift's worth of typing over a long outage; beyond, the link is not coming back soon
SHOWN_AFTER_S = 1.0  # a command answered within a second is never worth a row on screen
REFUSALS_KEPT = 5
CODES = {"unit", "state", "incident_type", "incident_priority", "desk", "resource_type", "outcome"}  # shown bare


class OutboxFull(Exception):
    """Too many commands already wait for the link."""


@dataclass
class Entry:
    command_id: str
    name: str
    args: dict[str, Any]
    frame: str  # encoded once: a resend is the same bytes under the same command_id
    label: str  # what the dispatcher typed, or a description of the command
    queued_at: float  # monotonic seconds
    future: Any = None  # the link's asyncio future; this module never touches it
    sent_at: float | None = None  # last time it went out (None: never sent on any connection)
    waited: bool = False  # it was queued while the link was down, or outlived a connection


@dataclass(frozen=True)
class Row:
    """One line of the pending view."""

    command_id: str
    label: str
    age_s: float
    sent: bool  # it went out at least once: cancelling cannot call it back from the server
    refusal: str | None = None  # set on a refused command that had waited


class Outbox:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._refusals: deque[Row] = deque(maxlen=REFUSALS_KEPT)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, command_id: object) -> bool:
        return command_id in self._entries

    def add(self, entry: Entry) -> None:
        if len(self._entries) >= self.limit:
            raise OutboxFull(f"{self.limit} commands already wait for the link; cancel some, or wait for it")
        self._entries[entry.command_id] = entry

    def pop(self, command_id: str) -> Entry | None:
        return self._entries.pop(command_id, None)

    def entries(self) -> list[Entry]:
        """In submission order: the order they go out again after a resume."""
        return list(self._entries.values())

    def connection_lost(self) -> None:
        """Whatever was unanswered when a connection ended has now waited."""
        for entry in self._entries.values():
            entry.waited = True

    def overdue(self, now: float, after_s: float) -> bool:
        """Some command went out on the live connection and has had no answer for `after_s`."""
        return any(e.sent_at is not None and now - e.sent_at > after_s for e in self._entries.values())

    # --- refusals of commands that waited ---------------------------------------------------------
    def refused(self, entry: Entry, message: str, now: float) -> None:
        if entry.waited:
            self._refusals.append(Row(entry.command_id, entry.label, now - entry.queued_at, True, message))

    def dismiss(self, command_id: str) -> bool:
        for row in self._refusals:
            if row.command_id == command_id:
                self._refusals.remove(row)
                return True
        return False

    def rows(self, now: float, shown_after_s: float = SHOWN_AFTER_S) -> list[Row]:
        """What a dispatcher should see: refusals of commands that had waited, then every command
        that waits for the link or has been unanswered for a second or more, oldest first."""
        pending = [Row(e.command_id, e.label, now - e.queued_at, e.sent_at is not None)
                   for e in self._entries.values()
                   if e.waited or e.sent_at is None or now - e.queued_at >= shown_after_s]  # fmt: skip
        return [*self._refusals, *pending]


def describe(name: str, args: dict[str, Any], limit: int = 48) -> str:
    """A command in a few words, for a pending row when no typed line names it:
    `incident.note #mG98tE "water rising"`."""
    words = [name]
    for key, value in args.items():
        if value is None:
            continue
        if key.endswith("_id") and isinstance(value, str):
            words.append(f"#{value[:6]}")
        elif isinstance(value, str):
            words.append(value if key in CODES else f'"{value[:20]}{"…" if len(value) > 20 else ""}"')
        elif isinstance(value, list):
            words.append(" ".join(str(v) for v in value))
        elif isinstance(value, dict):
            words.append(str(value.get("name") or value.get("street") or value.get("reference") or key))
        else:
            words.append(f"{key}={value}")
    text = " ".join(words)
    return text if len(text) <= limit else text[: limit - 1] + "…"
