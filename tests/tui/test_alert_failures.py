"""A failed alert delivery is shown to the dispatcher as a toast that takes no focus: a real
server whose only target for E2 is a webhook nobody listens on, the real workstation."""

from __future__ import annotations

import pytest

from tests.support.alert_receivers import reference_with_targets
from tests.support.live import live_server
from tests.support.ports import free_port as closed_port

from .conftest import live_app, until
from .test_workflow import command, unit_state


@pytest.fixture
async def live(template_db, tmp_path):
    reference = reference_with_targets(tmp_path / "reference", [
        f"MDT-E2,Mobile data terminal E2,mobile_terminal,url=http://127.0.0.1:{closed_port()}/alert "
        "attempts=2 retry_s=0.05 timeout=2,E2,true",
    ])  # fmt: skip
    data = tmp_path / "data"
    data.mkdir()
    async with live_server(template_db, data, reference_dir=reference, simulate_alerts=False) as server:
        yield server


async def test_each_failed_attempt_and_the_give_up_are_toasts_that_take_no_focus(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await command(pilot, "av E2")
        await command(pilot, "ni strfire a @ derek walcott")
        await until(pilot, lambda: len(live.world.incidents) == 1)
        await command(pilot, "as e2")
        focused = app.focused
        await pilot.press("d")

        def toasts() -> list[str]:
            return [n.message for n in app._notifications if n.title == "Alert not delivered"]

        await until(pilot, lambda: len(toasts()) == 2)
        first, last = toasts()
        assert first.startswith("Unit E2: alert to Mobile data terminal E2 failed (webhook 127.0.0.1:")
        assert first.endswith("attempt 1, retrying") and last.endswith("gave up after 2 attempts")
        assert app.focused is focused
        assert unit_state(live, "E2") == "dispatching"
