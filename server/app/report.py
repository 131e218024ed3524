"""The after-action report: the `stats` figures written as Markdown, CSV or JSON.

Only presentation: the figures are `stats_query`'s, the same a supervisor's screen shows.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from server.advice.statistics import DIMENSIONS, STAGES

FORMATS = ("md", "csv", "json")
STAGE_TITLE = {
    "call_processing": "Call processing (call → incident)",
    "alarm_processing": "Alarm processing (incident → first dispatch)",
    "turnout": "Turnout (dispatched → en route, per unit)",
    "travel": "Travel (en route → on scene, per unit)",
    "total_response": "Total response (call → first on scene)",
}
CSV_FIELDS = ("dimension", "group", "stage", "count", "median_s", "p90_s", "target_s", "within", "within_share",
              "target_met")  # fmt: skip


def target_of(figures: dict[str, Any], stage: str) -> str:
    """The stage's target as text ("" when it has none; turnout names its kinds)."""
    targets = figures["targets"]
    limit = targets.get(f"{stage}_s")
    text = "" if limit is None else f"{limit:g}"
    if stage == "turnout" and targets.get("turnout_s_by_kind"):
        kinds = ", ".join(f"{kind} {s:g}" for kind, s in targets["turnout_s_by_kind"].items())
        text = f"{text} ({kinds})" if text else kinds
    return text


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _share(item: dict[str, Any]) -> str:
    if "within_share" not in item:
        return "–"
    mark = "met" if item["target_met"] else "NOT met"
    return f"{item['within_share'] * 100:.1f} % ({mark})"


def _rows(figures: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    rows = [("all", "all", stage, figures["stages"][stage]) for stage in STAGES]
    for dim in DIMENSIONS:
        for group, stages in figures["by"].get(dim, {}).items():
            rows += [(dim, group, stage, stages[stage]) for stage in STAGES if stage in stages]
    return rows


def as_csv(figures: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for dim, group, stage, item in _rows(figures):
        writer.writerow([dim, group, stage, item["count"], item.get("median_s", ""), item.get("p90_s", ""),
                         target_of(figures, stage), item.get("within", ""), item.get("within_share", ""),
                         item.get("target_met", "")])  # fmt: skip
    return out.getvalue()


def as_markdown(figures: dict[str, Any], title: str) -> str:
    share = figures["targets"]["share"]
    lines = [
        f"# {title}",
        "",
        f"{figures['incidents']} incidents created from {figures['from']} to {figures['to']} (UTC). "
        f"Times are minutes:seconds; percentiles are {figures['percentile_method']}; a target is met "
        f"when {share * 100:g} % of the responses are within it. A stage never reached is left out.",
        "",
        "| stage | count | median | 90th | target (s) | within target |",
        "|---|---:|---:|---:|---|---|",
    ]
    for stage in STAGES:
        item = figures["stages"][stage]
        lines.append(f"| {STAGE_TITLE[stage]} | {item['count']} | {duration(item.get('median_s'))} | "
                     f"{duration(item.get('p90_s'))} | {target_of(figures, stage) or '–'} | {_share(item)} |")  # fmt: skip
    for dim in DIMENSIONS:
        groups = figures["by"].get(dim)
        if not groups:
            continue
        lines += ["", f"## By {dim.replace('_', ' ')}", "",
                  "| " + dim.replace("_", " ") + " | " + " | ".join(f"{s.replace('_', ' ')} n / median / 90th" for s in STAGES) + " |",
                  "|---|" + "---|" * len(STAGES)]  # fmt: skip
        for group, stages in groups.items():
            cells = []
            for stage in STAGES:
                item = stages.get(stage)
                cells.append("–" if item is None else
                             f"{item['count']} / {duration(item['median_s'])} / {duration(item['p90_s'])}")  # fmt: skip
            lines.append(f"| {group} | " + " | ".join(cells) + " |")
    waiting, use = figures["waiting"], figures["utilisation"]
    lines += ["", "## Waiting incidents (new or queued)", "", "| at (UTC) | waiting |", "|---|---:|"]
    lines += [f"| {at} | {count} |" for at, count in zip(waiting["at"], waiting["counts"], strict=True)]
    overall = "–" if use["overall"] is None else f"{use['overall'] * 100:.1f} %"
    lines += ["", "## Unit-hour utilisation", "", f"{use['units']} active units; overall {overall}.", "",
              "| unit kind | utilisation |", "|---|---:|"]  # fmt: skip
    lines += [f"| {kind} | {'–' if v is None else f'{v * 100:.1f} %'} |" for kind, v in use["by_kind"].items()]
    lines += ["", "## Resource occupancy (now)", "", "| type | resources | capacity | in use | occupancy |",
              "|---|---:|---:|---:|---:|"]  # fmt: skip
    for kind, r in figures["resources"].items():
        occupancy = "–" if r["share"] is None else f"{r['share'] * 100:.1f} %"
        lines.append(f"| {kind} | {r['resources']} | {r['capacity']} | {r['in_use']} | {occupancy} |")
    return "\n".join(lines) + "\n"


def render(figures: dict[str, Any], fmt: str, title: str = "After-action report") -> str:
    if fmt == "json":
        return json.dumps(figures, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return as_csv(figures)
    if fmt == "md":
        return as_markdown(figures, title)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
