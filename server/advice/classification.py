"""Advisory classification: from a call's or incident's words, suggest a type, priority and desk.

Pure and deterministic: no I/O, no model, nothing learnt; the same text always gives the same
answer, and every part of it has a reason a dispatcher can read (docs/domain.md, "How
classification decides").

- The incident types' keywords (reference data) are matched as whole words within one clause,
  a trailing plural `s`/`es` allowed. Where keywords overlap, the longest claims the words
  ("car on fire" beats "fire"). A type scores the number of words its keywords matched; the
  highest score wins. Ties go to the current type, then to the more urgent default priority
  (better to over-triage than under-), then to the code in alphabetical order.
- Negation is cheap and local: a keyword or severity word is ignored when a negation word (no,
  not, nobody, never, without, …) comes up to three words before it in the same clause ("no
  one trapped", "not on fire"). A clause ends at punctuation or at "but". Negated keywords
  claim no words, so "no water in the house" still matches the "no water" keyword.
- Priority starts at the chosen type's default. A life-threat word (trapped, unconscious, not
  breathing, collapse, …) makes it A; a vulnerable-person word (children, elderly, pregnant, …)
  or a worsening word (rising, spreading, …) raises it one step, once. Operational orders
  (priority N) are never changed. With no type, only a life-threat word gives a priority.
- The district (from the location, else a district name in the text) is reported; the
  reference data holds no per-district risk, so it changes neither type nor priority.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.domain.reference import IncidentType

NEGATIONS = frozenset({
    "no", "not", "nobody", "noone", "none", "never", "without", "nothing", "neither", "nor",
    "isn't", "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't", "ain't", "haven't",
    "hasn't", "isnt", "arent", "wasnt", "werent", "dont", "doesnt", "didnt", "aint",
})  # fmt: skip
NEGATION_WINDOW = 3  # words before a match that a negation reaches over
CLAUSE_BREAK = re.compile(r"[.,;:!?()\n]+|\bbut\b|\bhowever\b")
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

LIFE_THREAT = (
    "trapped", "pinned", "unconscious", "not breathing", "no pulse", "not responding", "collapse",
    "collapsed", "swept away", "washed away", "drowning", "bleeding badly", "heavy bleeding",
)  # fmt: skip
VULNERABLE = (
    "children", "child", "kids", "baby", "babies", "infant", "elderly", "old lady", "old man",
    "pregnant", "bedridden", "wheelchair", "disabled",
)  # fmt: skip
WORSENING = ("rising", "spreading", "getting worse", "getting bigger", "coming in fast")
ORDER = ("A", "B", "C", "D")


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, **self.data}


@dataclass(frozen=True, slots=True)
class Classification:
    incident_type: str | None
    incident_priority: str | None
    desk: str | None
    district: str | None
    reasons: tuple[Reason, ...]
    alternatives: tuple[tuple[str, int], ...] = ()  # runner-up (type code, score), best first


@dataclass(frozen=True, slots=True)
class _Match:
    phrase: str
    clause: int
    start: int
    end: int
    negation: str | None  # the negation word that cancels it

    def overlaps(self, other: _Match) -> bool:
        return self.clause == other.clause and self.start < other.end and other.start < self.end


def _plain(text: str) -> str:
    """Lower case, accents dropped (Soufrière = Soufriere), typographic apostrophes plain."""
    text = unicodedata.normalize("NFKD", text.lower().replace("\u2019", "'").replace("\u2018", "'"))
    return "".join(c for c in text if not unicodedata.combining(c))


def _clauses(text: str) -> list[list[str]]:
    return [WORD.findall(part) for part in CLAUSE_BREAK.split(_plain(text))]


def _words(phrase: str) -> list[str]:
    return WORD.findall(_plain(phrase))


def _same_word(said: str, listed: str) -> bool:
    return said == listed or said in (listed + "s", listed + "es")


def _negation_before(clause: list[str], start: int) -> str | None:
    for word in clause[max(0, start - NEGATION_WINDOW) : start]:
        if word in NEGATIONS or word.split("'")[0] in NEGATIONS:
            return word
    return None


def _find(clauses: list[list[str]], phrase: str) -> list[_Match]:
    wanted = _words(phrase)
    if not wanted:
        return []
    found = []
    for number, clause in enumerate(clauses):
        for start in range(len(clause) - len(wanted) + 1):
            if all(_same_word(clause[start + k], w) for k, w in enumerate(wanted)):
                end = start + len(wanted)
                found.append(_Match(phrase, number, start, end, _negation_before(clause, start)))
    return found


def _raise(priority: str, steps: int) -> str:
    return ORDER[max(0, ORDER.index(priority) - steps)]


def classify(
    text: str,
    incident_types: Iterable[IncidentType],
    *,
    current_type: str | None = None,
    district: str | None = None,
    districts: Mapping[str, str] | None = None,
) -> Classification:
    """Suggest a type, priority and desk for `text` (see the module doc for the rules).

    `current_type` is the type already set, if any; `district` the location's district code;
    `districts` maps codes to names, to name them and to find one mentioned in the text.
    """
    types = {t.code: t for t in incident_types}
    clauses = _clauses(text)
    reasons: list[Reason] = []

    matches = [(code, m) for code, t in sorted(types.items()) for k in t.keywords for m in _find(clauses, k)]
    claimed: list[tuple[str, _Match]] = []
    scores: dict[str, int] = {}
    for code, match in sorted(matches, key=lambda cm: (-(cm[1].end - cm[1].start), cm[1].clause, cm[1].start, cm[0])):
        if match.negation:
            reasons.append(Reason("negated", f"ignored {match.phrase!r} ({code}): negated by {match.negation!r}",
                                  {"incident_type": code, "keyword": match.phrase, "negation": match.negation}))  # fmt: skip
            continue
        if any(match.overlaps(c) for _, c in claimed):
            continue
        claimed.append((code, match))
        scores[code] = scores.get(code, 0) + match.end - match.start
        reasons.append(Reason("keyword", f"{match.phrase!r} is a keyword of {code} ({types[code].description})",
                              {"incident_type": code, "keyword": match.phrase}))  # fmt: skip

    chosen = _choose(scores, types, current_type, reasons)
    own = [m for code, m in claimed if chosen and code == chosen.code]
    priority = _priority(chosen, clauses, own, reasons)
    found_district = _district(district, clauses, districts or {}, reasons)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return Classification(
        incident_type=chosen.code if chosen else None,
        incident_priority=priority,
        desk=chosen.desk if chosen else None,
        district=found_district,
        reasons=tuple(reasons),
        alternatives=tuple((code, score) for code, score in ranked if not chosen or code != chosen.code)[:3],
    )


def _choose(
    scores: dict[str, int], types: dict[str, IncidentType], current: str | None, reasons: list[Reason]
) -> IncidentType | None:
    current_type = types.get(current) if current else None
    if not scores:
        if current_type:
            reasons.append(Reason("current_type", f"no keyword matched; keeping the current type {current}",
                                  {"incident_type": current}))  # fmt: skip
            return current_type
        reasons.append(Reason("no_match", "no keyword of any incident type matched"))
        return None
    best = max(scores.values())
    tied = sorted(code for code, score in scores.items() if score == best)
    urgency = lambda c: ORDER.index(types[c].priority) if types[c].priority in ORDER else len(ORDER)  # noqa: E731
    code = min(tied, key=lambda c: (c != current, urgency(c), c))
    if len(tied) > 1:
        if code == current:
            why = "the current type"
        elif sum(urgency(c) == urgency(code) for c in tied) == 1:
            why = "the most urgent default priority"
        else:
            why = "equally urgent, first in code order"
        reasons.append(Reason("tie", f"{', '.join(tied)} matched equally ({best} words); chose {code}: {why}",
                              {"tied": tied}))  # fmt: skip
    if current and current != code:
        reasons.append(Reason("differs_from_current", f"the words point to {code} rather than the current {current}",
                              {"incident_type": code, "current_type": current}))  # fmt: skip
    return types[code]


def _severity(
    clauses: list[list[str]], phrases: tuple[str, ...], own: list[_Match], reasons: list[Reason]
) -> list[str]:
    """Severity words heard, minus negated ones and those inside a keyword of the chosen type
    (a washed-away bridge is what BRIDGE means; its default priority already counts it)."""
    heard = []
    for phrase in phrases:
        for match in _find(clauses, phrase):
            inside = next((m for m in own if m.overlaps(match)), None)
            if match.negation:
                reasons.append(Reason("negated", f"ignored severity word {phrase!r}: negated by {match.negation!r}",
                                      {"word": phrase, "negation": match.negation}))  # fmt: skip
            elif inside is not None:
                reasons.append(Reason("severity_in_keyword", f"{phrase!r} is part of the keyword {inside.phrase!r}: "
                                      "already counted in the type's default priority", {"word": phrase}))  # fmt: skip
            elif phrase not in heard:
                heard.append(phrase)
    return heard


def _priority(
    chosen: IncidentType | None, clauses: list[list[str]], own: list[_Match], reasons: list[Reason]
) -> str | None:
    if chosen is not None and chosen.priority not in ORDER:
        reasons.append(Reason("operational_order", f"{chosen.code} is an operational order: priority {chosen.priority}, "
                              "never raised by severity words", {"incident_priority": chosen.priority}))  # fmt: skip
        return chosen.priority
    priority = chosen.priority.value if chosen is not None else None
    if chosen is not None:
        reasons.append(Reason("default_priority", f"{chosen.code} defaults to priority {priority}",
                              {"incident_priority": priority}))  # fmt: skip
    threats = _severity(clauses, LIFE_THREAT, own, reasons)
    raisers = _severity(clauses, VULNERABLE + WORSENING, own, reasons)
    words = lambda heard: ", ".join(map(repr, heard))  # noqa: E731
    if threats:
        effect = "a threat to life makes it priority A" if priority != "A" else "a threat to life; already priority A"
        reasons.append(Reason("severity", f"{words(threats)}: {effect}", {"words": threats, "incident_priority": "A"}))
        return "A"
    if priority and raisers:
        raised = _raise(priority, 1)
        effect = f"raises priority {priority} to {raised}" if raised != priority else "already priority A"
        reasons.append(Reason("severity", f"{words(raisers)}: {effect}", {"words": raisers, "incident_priority": raised}))
        return raised
    return priority


def _district(given: str | None, clauses: list[list[str]], districts: Mapping[str, str], reasons: list[Reason]) -> str | None:
    if given:
        name = districts.get(given, given)
        reasons.append(Reason("district", f"location in {name} ({given}); it does not change type or priority",
                              {"district": given}))  # fmt: skip
        return given
    for code, name in sorted(districts.items()):
        if any(not m.negation for m in _find(clauses, name)):
            reasons.append(Reason("district", f"the text names {name} ({code}); no location given", {"district": code}))
            return code
    return None
