"""The lock screen's PIN: what a PIN may be, how it is kept, and how guessing is bounded (pure).

A PIN is 4–8 digits, chosen by its user. Only a salted scrypt hash is kept (the salt is given by
the caller, fresh per user and per change). Wrong PINs are counted: every 5th in a row locks the
PIN, for 5 minutes the first time and twice as long each time after (capped at a day), so a
guesser gets at most 5 tries per lock period and fewer and fewer per day. A right PIN clears the
count. The workstation's token (the account's real credential) still opens a locked workstation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

from server.domain.errors import Forbidden, ValidationFailed
from server.protocol import iso

PIN_PATTERN = re.compile(r"[0-9]{4,8}")
FAILURES_BEFORE_LOCK = 5
FIRST_LOCK = timedelta(minutes=5)
LONGEST_LOCK = timedelta(hours=24)
# scrypt's cost: about 16 MB and some tens of milliseconds per check, on an event loop that
# checks a PIN only when someone unlocks.
_N, _R, _P, _LENGTH = 2**14, 8, 1, 32


def check_pin(pin: object, field: str = "pin") -> str:
    """The PIN if it is 4–8 digits; never quotes what was typed back."""
    if not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
        raise ValidationFailed("a PIN is 4 to 8 digits (0–9), nothing else", field=field)
    return pin


def hash_pin(pin: str, salt: bytes) -> str:
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_LENGTH)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        assert scheme == "scrypt"
        computed = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                  dklen=len(digest) // 2)  # fmt: skip
    except (ValueError, AssertionError):
        return False  # a damaged hash opens nothing
    return hmac.compare_digest(computed.hex(), digest)


def lock_for(failures: int) -> timedelta | None:
    """How long the PIN locks after `failures` wrong PINs in a row (None: not locked)."""
    if failures == 0 or failures % FAILURES_BEFORE_LOCK:
        return None
    return min(FIRST_LOCK * 2 ** (failures // FAILURES_BEFORE_LOCK - 1), LONGEST_LOCK)


def ensure_not_locked(locked_until: datetime | None, now: datetime) -> None:
    if locked_until is not None and now < locked_until:
        wait = max(int((locked_until - now).total_seconds() + 59) // 60, 1)
        raise Forbidden(
            f"too many wrong PINs: the PIN is locked for {wait} more minute{'s' if wait != 1 else ''}; "
            "the workstation's token still opens it",
            locked_until=iso(locked_until),
        )


def refusal(failures: int, locked: timedelta | None) -> Forbidden:
    """The answer to a wrong PIN, saying how many tries are left before the lock."""
    if locked is not None:
        minutes = int(locked.total_seconds() // 60)
        return Forbidden(f"wrong PIN; that was {FAILURES_BEFORE_LOCK} in a row, so the PIN is locked for "
                         f"{minutes} minutes (the workstation's token still opens it)",
                         tries_left=0)  # fmt: skip
    left = FAILURES_BEFORE_LOCK - failures % FAILURES_BEFORE_LOCK
    return Forbidden(f"wrong PIN; {left} more tr{'ies' if left != 1 else 'y'} before it locks", tries_left=left)
