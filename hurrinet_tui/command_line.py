"""The dispatcher's command line: short mnemonics → protocol commands (pure, no Textual).

A line is a verb and its words: `as E12 M4` assigns two units to the selected incident,
`ni flood a @ castries market // water to the knees` opens an incident. Words that name
things are matched the way a dispatcher types them: callsigns and type codes ignoring case,
incidents by `#` and the first characters of their id, and any unique prefix. The incident a
verb acts on is the selected one unless a `#ref` names another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .actions import ACTIONS
from .gazetteer import location_of, place_label, rank_places, search_places
from .replica import Replica

PRIORITIES = ("A", "B", "C", "D", "N")
INCIDENT_STATES = ("queued", "active", "monitored")
SHORT_ID = 6  # characters of an incident id shown on the board and typed after `#`


class CommandLineError(ValueError):
    """The line cannot become a command; the message says what to fix."""


@dataclass(frozen=True)
class Command:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class LocalAction:
    """Something the workstation does itself (find, help, toggles)."""

    name: str
    argument: str = ""


@dataclass(frozen=True)
class Verb:
    key: str  # the mnemonic
    aliases: tuple[str, ...]
    usage: str
    summary: str
    needs_incident: bool = False


# From the action table: a verb, its syntax and its help are declared there once.
VERBS: tuple[Verb, ...] = tuple(
    Verb(a.verb, a.aliases, a.usage, a.help, a.needs == "incident") for a in ACTIONS if a.verb
)

UNIT_STATE_OF = {"av": "available_radio", "avs": "available_station", "er": "en_route", "os": "on_scene",
                 "oos": "unavailable"}  # fmt: skip
# `rl`: a unit already available over radio leaves its incident (the server's unit.release).
UNIT_COMMANDS = {"ua": "unit.unassign", "cf": "unit.confirm_dispatch", "rl": "unit.release"}
IMMEDIATE = {"er": "en_route", "os": "on_scene", "dp": "dispatched"}
LOCAL = {"f", "ended", "sim", "help", "call", "ec", "rec", "wait", "res", "sup", "map", "arc"}
CALL_COMMANDS = {"ci": "call.create_incident", "dt": "call.detach", "cpl": "call.copy_location"}


@dataclass
class Context:
    """What a line is read against: the replica and the incident selected on the board."""

    replica: Replica
    selected_incident: str | None = None
    selected_unit: str | None = None
    call_on_line: str | None = None  # the call in the call form


def find_verb(word: str) -> Verb:
    word = word.lower()
    for verb in VERBS:
        if word == verb.key or word in verb.aliases:
            return verb
    matches = unique(
        (v for v in VERBS for name in (v.key, *v.aliases) if len(word) >= 2 and name.startswith(word)),
    )
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CommandLineError(f"{word!r} could be {', '.join(v.key for v in matches)}; type more")
    raise CommandLineError(f"unknown command {word!r}; F1 lists the commands")


def unique(items: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def parse(line: str, context: Context) -> list[Command] | LocalAction:
    """One line → the commands to send (in order) or a local action."""
    head, _, description = line.partition("//")
    words = head.split()
    if not words:
        raise CommandLineError("type a command (F1 lists them)")
    verb = find_verb(words[0])
    rest = words[1:]
    if verb.key in LOCAL:
        return LocalAction(verb.key, " ".join(rest))
    if verb.key in CALL_COMMANDS or verb.key == "at":
        if context.call_on_line is None:
            raise CommandLineError("no call on the line — ^N takes a new call, `call #REF` brings one back")
        call = {"call_id": context.call_on_line}
        if verb.key == "at":
            return [Command("call.attach", call | {"incident_id": _incident([w for w in rest if w.startswith("#")], context)})]
        return [Command(CALL_COMMANDS[verb.key], call)]
    incident_ref = [w for w in rest if w.startswith("#")]
    rest = [w for w in rest if not w.startswith("#")]
    replica = context.replica
    if verb.key == "ni":
        return [Command("incident.create", _new_incident(rest, description.strip(), replica))]
    if verb.key == "ra":
        if len(incident_ref) != 1:
            raise CommandLineError("reassign needs the incident to move to: ra UNIT… #INC")
        target = resolve_incident(incident_ref[0], replica)
        return [Command("unit.reassign", {"unit": u, "incident_id": target}) for u in _units(rest, replica)]
    if verb.key in UNIT_STATE_OF or verb.key in UNIT_COMMANDS:
        units = _units(rest, replica, default=context.selected_unit)
        if verb.key in UNIT_COMMANDS:
            return [Command(UNIT_COMMANDS[verb.key], {"unit": u}) for u in units]
        return [Command("unit.set_state", {"unit": u, "state": UNIT_STATE_OF[verb.key]}) for u in units]
    incident = _incident(incident_ref, context)
    if verb.key == "ty":
        return [Command("incident.update", {"incident_id": incident, "incident_type": resolve_type(_one(rest, "TYPE"), replica)})]
    if verb.key == "pr":
        return [Command("incident.update", {"incident_id": incident, "incident_priority": resolve_priority(_one(rest, "priority"))})]
    if verb.key == "lo":
        return [Command("incident.update", {"incident_id": incident, "location": resolve_place(" ".join(rest), replica)})]
    if verb.key == "st":
        return [Command("incident.set_state", {"incident_id": incident, "state": resolve_state(_one(rest, "state"))})]
    if verb.key == "cl":
        return [Command("incident.close", {"incident_id": incident})]
    if verb.key == "no":
        text = " ".join(rest) + (f" {description.strip()}" if description.strip() else "")
        if not text.strip():
            raise CommandLineError("a note needs its text: no TEXT")
        return [Command("incident.note", {"incident_id": incident, "text": text.strip()})]
    if verb.key == "as":
        state = IMMEDIATE.get(rest[-1].lower()) if rest else None
        units = _units(rest[:-1] if state else rest, replica)
        args: dict[str, Any] = {"incident_id": incident, "units": units}
        return [Command("unit.assign", args | ({"state": state} if state else {}))]
    if verb.key == "d":
        args = {"incident_id": incident}
        return [Command("unit.dispatch", args | ({"units": _units(rest, replica)} if rest else {}))]
    raise CommandLineError(f"{verb.key} is not wired to a command")  # a VERBS entry without a branch


# --- the words of a line --------------------------------------------------------------------------
def _one(words: list[str], what: str) -> str:
    if len(words) != 1:
        raise CommandLineError(f"expected one {what}, got {len(words) or 'none'}")
    return words[0]


def _incident(refs: list[str], context: Context) -> str:
    if len(refs) > 1:
        raise CommandLineError("name at most one incident (#ref)")
    if refs:
        return resolve_incident(refs[0], context.replica)
    if context.selected_incident is None:
        raise CommandLineError("select an incident on the board or name one with #ref")
    return context.selected_incident


def _units(words: list[str], replica: Replica, default: str | None = None) -> list[str]:
    if not words and default:
        return [default]
    if not words:
        raise CommandLineError("name at least one unit (callsign)")
    return [resolve_callsign(w, replica) for w in words]


def _new_incident(words: list[str], description: str, replica: Replica) -> dict[str, Any]:
    head, at, place = " ".join(words).partition("@")
    args: dict[str, Any] = {}
    for word in head.split():
        if word.upper() in PRIORITIES and "incident_priority" not in args:
            args["incident_priority"] = word.upper()
        elif "incident_type" not in args:
            args["incident_type"] = resolve_type(word, replica)
        else:
            raise CommandLineError(f"did not understand {word!r}; put a place after @ and a description after //")
    if at:
        args["location"] = resolve_place(place, replica)
    if description:
        args["description"] = description
    return args


def _prefixed(word: str, names: Iterable[str], what: str) -> str:
    """The name equal to word ignoring case, else the only one it begins."""
    folded = word.casefold()
    names = list(names)
    exact = [n for n in names if n.casefold() == folded]
    if exact:
        return exact[0]
    matches = sorted(n for n in names if n.casefold().startswith(folded))
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(matches[:6]) + ("…" if len(matches) > 6 else "")
        raise CommandLineError(f"{word!r} could be {what} {shown}; type more")
    raise CommandLineError(f"no {what} {word!r}")


def resolve_callsign(word: str, replica: Replica) -> str:
    return _prefixed(word, replica.unit_by_callsign, "unit")


def resolve_type(word: str, replica: Replica) -> str:
    return _prefixed(word, replica.incident_types, "incident type")


def resolve_priority(word: str) -> str:
    if word.upper() not in PRIORITIES:
        raise CommandLineError(f"priority is one of {', '.join(PRIORITIES)}, not {word!r}")
    return word.upper()


def resolve_state(word: str) -> str:
    return _prefixed(word, INCIDENT_STATES, "incident state")


def resolve_incident(ref: str, replica: Replica) -> str:
    ref = ref.removeprefix("#")
    if not ref:
        raise CommandLineError("an incident reference is # and the first characters of its id")
    folded = ref.casefold()
    matches = [i for i in replica.incidents if i.casefold().startswith(folded)]
    exact = [i for i in matches if i.startswith(ref)]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    if matches:
        raise CommandLineError(f"#{ref} matches {len(matches)} incidents; type more of the id")
    raise CommandLineError(f"no incident #{ref}")


def resolve_call(ref: str, replica: Replica) -> str:
    """An active call by # and the start of its id."""
    folded = ref.removeprefix("#").casefold()
    if not folded:
        raise CommandLineError("a call reference is # and the first characters of its id")
    matches = [c for c, call in replica.calls.items() if call["state"] == "active" and c.casefold().startswith(folded)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CommandLineError(f"{ref} matches {len(matches)} active calls; type more of the id")
    raise CommandLineError(f"no active call {ref}")


def short_id(incident_id: str) -> str:
    return incident_id[:SHORT_ID]


# --- places ---------------------------------------------------------------------------------------
def resolve_place(text: str, replica: Replica) -> dict[str, Any]:
    """The one gazetteer row the text names: an exact name, or the only good match."""
    text = text.strip()
    if not text:
        raise CommandLineError("name a place after @ (from the gazetteer)")
    ranked = rank_places(text, replica.gazetteer)
    if not ranked:
        raise CommandLineError(f"no place called {text!r} in the gazetteer")
    best = [entry for rank, entry in ranked if rank == ranked[0][0]]
    if len(best) > 1 and ranked[0][0] > 0:
        shown = "; ".join(place_label(e) for e in best[:4]) + ("…" if len(best) > 4 else "")
        raise CommandLineError(f"{text!r} could be {shown}; type more")
    return location_of(best[0])


# --- completion -----------------------------------------------------------------------------------
def complete(line: str, replica: Replica) -> list[str]:
    """Candidates for the word being typed (the last one), each a whole replacement line."""
    if "@" in line:
        head, _, place = line.rpartition("@")
        return [f"{head}@ {place_label(e)}" for e in search_places(place, replica.gazetteer)]
    words = line.split(" ")
    last = words[-1]
    stem = " ".join(words[:-1])
    stem = f"{stem} " if stem else ""
    if len(words) == 1:
        names = unique(v.key for v in VERBS if v.key.startswith(last.lower()))
    elif last.startswith("#"):
        folded = last[1:].casefold()
        names = sorted(f"#{short_id(i)}" for i in replica.incidents if i.casefold().startswith(folded))
    else:
        folded = last.casefold()
        try:
            verb = find_verb(words[0])
        except CommandLineError:
            return []
        pool = list(replica.incident_types) if verb.key in ("ty", "ni") else list(replica.unit_by_callsign)
        if verb.key == "st":
            pool = list(INCIDENT_STATES)
        names = sorted(n for n in pool if n.casefold().startswith(folded))
    return [stem + name for name in names]
