"""Geocoding against the deployment's own gazetteer: rank its entries for a typed name.

Pure: a query and gazetteer entries in, the best entries out; no I/O and no outside service.
Names are compared folded (case, accents, punctuation and spacing ignored), so "soufriere"
finds Soufrière and "castries gros islet" finds the Castries-Gros Islet Highway.

Ranks, best first: the whole name, the name begins with the query, a word of the name begins
with it, the query anywhere in the name. An intersection answers for either of its roads, and
"road a & road b" or "road a / road b" finds it with both (in either order); an intersection
found by one road only comes after entries of the same rank found by their own name. Within a
rank, entries are in the order of their folded label, then kind and district: deterministic.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from server.domain.errors import ValidationFailed
from server.domain.reference import GazetteerEntry
from server.domain.values import NAME_MAX, require_text

RESULTS_MAX = 10
QUERY_MAX = NAME_MAX  # a query is at most one name long

EXACT, PREFIX, WORD_PREFIX, ANYWHERE = range(4)
ROAD_SEPARATOR = re.compile(r"[&/]")
_APOSTROPHES = re.compile(r"['\u2018\u2019`]")
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lower case, accents dropped, apostrophes removed ("Jude's" = "judes"), every other run of
    punctuation or space one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", _APOSTROPHES.sub("", plain)).split())


def match_rank(query: str, name: str) -> int | None:
    """How well a folded query matches a folded name (lower is better), None for not at all."""
    if not query:
        return None
    if name == query:
        return EXACT
    if name.startswith(query):
        return PREFIX
    if f" {query}" in f" {name}":
        return WORD_PREFIX
    return ANYWHERE if query in name else None


def check_query(query: object) -> str:
    """The query, or a validation error naming what is wrong with it."""
    text = require_text("query", query, QUERY_MAX)
    if not fold(text):
        raise ValidationFailed(f"query {text!r} has no letters or digits to look for", field="query")
    return text


@dataclass(frozen=True, slots=True)
class _Query:
    whole: str
    roads: tuple[str, str] | None  # "a & b" / "a / b": two folded road names

    @classmethod
    def parse(cls, text: str) -> _Query:
        parts = [fold(p) for p in ROAD_SEPARATOR.split(text)]
        roads = (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None
        return cls(fold(text), roads)


def _best(ranks: Iterable[int | None]) -> int | None:
    return min((r for r in ranks if r is not None), default=None)


def _both_roads(roads: tuple[str, str], entry: GazetteerEntry) -> int | None:
    a, b = fold(entry.name), fold(entry.road_b or "")
    orders = ((match_rank(roads[0], a), match_rank(roads[1], b)), (match_rank(roads[0], b), match_rank(roads[1], a)))
    return _best(max(pair) for pair in orders if None not in pair)


def _rank(query: _Query, entry: GazetteerEntry) -> tuple[int, int] | None:
    """(rank, 1 when an intersection matched on one road only)."""
    own = match_rank(query.whole, fold(entry.name))
    if entry.kind != "intersection":
        return None if own is None else (own, 0)
    both = _both_roads(query.roads, entry) if query.roads else None
    if both is not None:
        return both, 0
    one = _best((own, match_rank(query.whole, fold(entry.road_b or ""))))
    return None if one is None else (one, 1)


def label(entry: GazetteerEntry) -> str:
    return f"{entry.name} / {entry.road_b}" if entry.road_b else entry.name


def geocode(query: str, gazetteer: Iterable[GazetteerEntry], limit: int = RESULTS_MAX) -> list[GazetteerEntry]:
    """Up to `limit` gazetteer entries for `query` (already checked), best first."""
    parsed = _Query.parse(query)
    ranked = []
    for entry in gazetteer:
        rank = _rank(parsed, entry)
        if rank is not None:
            ranked.append(((*rank, fold(label(entry)), entry.kind, entry.district), entry))
    ranked.sort(key=lambda pair: pair[0])
    return [entry for _, entry in ranked[:limit]]
