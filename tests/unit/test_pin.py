"""The lock screen's PIN rules (pure): what a PIN may be, its hash, and the lock schedule."""

from datetime import UTC, datetime, timedelta

import pytest

from server.domain.errors import Forbidden, ValidationFailed
from server.domain.pin import check_pin, ensure_not_locked, hash_pin, lock_for, pin_matches, refusal

SALT = bytes(range(16))


@pytest.mark.parametrize("pin", ["0000", "12345678", "730519"])
def test_four_to_eight_digits_are_a_pin(pin):
    assert check_pin(pin) == pin


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", " 1234", "١٢٣٤", 1234, None])
def test_anything_else_is_refused_without_quoting_it(pin):
    with pytest.raises(ValidationFailed) as caught:
        check_pin(pin)
    assert str(pin) not in caught.value.message and caught.value.details == {"field": "pin"}


def test_the_hash_is_salted_and_checks_only_the_right_pin():
    stored = hash_pin("730519", SALT)
    assert "730519" not in stored and stored.startswith("scrypt$") and SALT.hex() in stored
    assert pin_matches("730519", stored) and not pin_matches("730518", stored)
    assert hash_pin("730519", bytes(16)) != stored  # same PIN, another user's salt: another hash
    assert not pin_matches("730519", "scrypt$broken")  # a damaged hash opens nothing


def test_every_fifth_wrong_pin_locks_for_longer_up_to_a_day():
    assert [lock_for(n) for n in range(5)] == [None] * 5
    assert lock_for(5) == timedelta(minutes=5) and lock_for(6) is None
    assert lock_for(10) == timedelta(minutes=10) and lock_for(15) == timedelta(minutes=20)
    assert lock_for(5 * 20) == timedelta(hours=24)


def test_refusals_count_down_and_say_when_it_locks():
    assert refusal(1, None).message == "wrong PIN; 4 more tries before it locks"
    assert refusal(4, None).message == "wrong PIN; 1 more try before it locks"
    assert "locked for 5 minutes" in refusal(5, timedelta(minutes=5)).message
    now = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    ensure_not_locked(None, now)
    ensure_not_locked(now, now)  # the lock ends at its moment
    with pytest.raises(Forbidden, match="locked for 3 more minutes"):
        ensure_not_locked(now + timedelta(seconds=150), now)
