"""The fault harness's short preset (bench/faults.py) against a real server process: abrupt
disconnects with resend, kill -9 during writes, fuzzed frames and a reconnect storm."""

from __future__ import annotations

import pytest

from bench.faults import PRESETS, Options, run

pytestmark = pytest.mark.fault


async def test_the_short_fault_run_loses_duplicates_and_breaks_nothing(capsys):
    verdicts = await run(Options(**PRESETS["short"]))
    printed = capsys.readouterr().out
    assert [v.name for v in verdicts] == ["disconnects", "kills", "fuzz", "storm"], printed
    for verdict in verdicts:
        assert verdict.problems == [], f"{verdict.name}: {verdict.problems}\n{printed}"
    found = {v.name: v.found for v in verdicts}
    for name in ("disconnects", "kills", "storm"):
        assert found[name]["lost"] == found[name]["duplicated"] == found[name]["unanswered"] == 0
        assert found[name]["events missed"] == found[name]["events seen twice"] == 0
        assert found[name]["integrity_check"] == "ok"
    assert found["fuzz"]["domain tables changed"] == 0 and found["fuzz"]["unanswered frames"] == 0
    assert "fault harness: all held" in printed
