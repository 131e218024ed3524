"""Failed-login bookkeeping (server/net/throttle.py): lockout per address and credential."""

from __future__ import annotations

from server.net.throttle import LoginThrottle


def test_five_failures_lock_the_address_for_the_lockout_period():
    throttle = LoginThrottle(max_failures=5, window_s=600, lockout_s=600)
    for n in range(5):
        assert throttle.locked_for("10.0.0.1", f"hash-{n}", n) == 0
        throttle.failed("10.0.0.1", f"hash-{n}", n)
    assert throttle.locked_for("10.0.0.1", "another", 5) == 599
    assert throttle.locked_for("10.0.0.2", "another", 5) == 0  # another address is free
    throttle.failed("10.0.0.1", "again", 100)  # attempts while locked do not extend it
    assert throttle.locked_for("10.0.0.1", "x", 604) == 0


def test_failures_spread_beyond_the_window_never_lock():
    throttle = LoginThrottle(max_failures=5, window_s=60, lockout_s=600)
    for n in range(20):
        throttle.failed("10.0.0.1", f"h{n}", n * 20.0)
    assert throttle.locked_for("10.0.0.1", "h", 400) == 0


def test_one_failing_credential_locks_from_every_address():
    throttle = LoginThrottle(max_failures=5)
    for n in range(5):
        throttle.failed(f"10.0.0.{n}", "same-hash", n)
    assert throttle.locked_for("10.9.9.9", "same-hash", 5) > 0
    assert throttle.locked_for("10.9.9.9", "other-hash", 5) == 0


def test_a_flood_is_audited_once_then_once_per_period_with_its_count():
    throttle = LoginThrottle(audit_period_s=60)
    audited_now = [throttle.failed("10.0.0.1", f"h{n}", n * 0.1) for n in range(50)]
    assert audited_now == [1] + [None] * 49
    assert throttle.due(30) == []
    assert throttle.next_due() == 60
    assert throttle.due(60) == [("10.0.0.1", 49)]
    assert throttle.failed("10.0.0.1", "h", 61) == 1  # a new period begins with a row at once
