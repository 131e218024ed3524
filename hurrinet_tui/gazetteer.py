"""The deployment's gazetteer as the workstation searches it (pure, no Textual).

Rows come from the snapshot (`{kind, name, district, coordinates, road_b?}`, kind `place`,
`street` or `intersection`). The command line's `@ PLACE` and the location form's live
suggestions rank names the same way, so both live here.
"""

from __future__ import annotations

import unicodedata
from typing import Any

Entry = dict[str, Any]


def fold(text: str) -> str:
    """Case and accents dropped: a keyboard without è still finds Soufrière."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def rank_places(query: str, gazetteer: list[Entry]) -> list[tuple[int, Entry]]:
    """(rank, row) for a typed name: 0 the whole label, 1 every word begins a word, 2 anywhere."""
    words = fold(query).split()
    if not words:
        return []
    ranked = []
    for entry in gazetteer:
        label = fold(place_label(entry))
        if not all(w in label for w in words):
            continue
        label_words = label.replace("/", " ").split()
        prefixes = all(any(n.startswith(w) for n in label_words) for w in words)
        rank = 0 if label == " ".join(words) or fold(entry["name"]) == " ".join(words) else 1 if prefixes else 2
        ranked.append((rank, len(label), label, entry))
    ranked.sort(key=lambda r: r[:3])
    return [(rank, entry) for rank, _, _, entry in ranked]


def search_places(query: str, gazetteer: list[Entry], limit: int = 8) -> list[Entry]:
    """Gazetteer rows for a typed name, best first."""
    return [entry for _, entry in rank_places(query, gazetteer)[:limit]]


def place_label(entry: Entry) -> str:
    road_b = entry.get("road_b")
    return f"{entry['name']} / {road_b}" if road_b else entry["name"]


def location_of(entry: Entry) -> dict[str, Any]:
    """A gazetteer row as a protocol location."""
    base = {"district": entry["district"], "coordinates": entry["coordinates"]}
    if entry["kind"] == "intersection":
        return {"kind": "intersection", "road_a": entry["name"], "road_b": entry["road_b"], **base}
    if entry["kind"] == "street":
        return {"kind": "address", "street": entry["name"], **base}
    return {"kind": "place", "name": entry["name"], **base}
