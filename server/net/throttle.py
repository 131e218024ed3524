"""Failed-login throttling: lockout per address and per failing credential, aggregated audit.

Pure bookkeeping (the hub passes the time in and does the I/O). The rules (docs/protocol.md,
"Connecting"):

- Five failed handshakes (CJIS 5.5.3) from one address, or with one failing token (keyed by its
  hash, so a revoked or mistyped token retried from many places counts once), within the window
  lock that address or that credential out for `lockout_s` (10 minutes, CJIS's minimum): its
  failing handshakes are answered HTTP 429 with Retry-After instead of 401.
- Nothing ever waits: a handshake is checked first and a valid token is let in at once, whatever
  anyone else behind the same address did. So one misconfigured workstation behind a dispatch
  centre's NAT cannot lock the other positions out (the defect this replaces made a valid token
  wait 2 s after five failures by anyone). The lockout is not what protects the tokens (256
  random bits do); it tells a failing client to stop, and keeps a flood cheap and quiet.
- The audit gets the first failure from an address at once, then at most one row per address
  per `audit_period_s` with the count of the failures in between, however fast they come.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from server import protocol


@dataclass
class _Key:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


@dataclass
class _Report:
    opened: float
    unreported: int = 0


@dataclass
class LoginThrottle:
    max_failures: int = protocol.LOGIN_FAILURES_BEFORE_LOCKOUT
    window_s: float = float(protocol.LOGIN_LOCKOUT_S)  # failures older than this are forgotten
    lockout_s: float = float(protocol.LOGIN_LOCKOUT_S)
    audit_period_s: float = 60.0
    _keys: dict[str, _Key] = field(default_factory=dict)
    _reports: dict[str, _Report] = field(default_factory=dict)

    def locked_for(self, address: str, credential: str, now: float) -> float:
        """Seconds the address or the credential is still locked out (0: not locked)."""
        left = 0.0
        for name in (_address_key(address), _credential_key(credential)):
            key = self._keys.get(name)
            if key is not None:
                left = max(left, key.locked_until - now)
        return max(left, 0.0)

    def failed(self, address: str, credential: str, now: float) -> int | None:
        """Record a failed handshake. Returns the count to audit now (1 for the first failure of
        an address in a period), or None when it is folded into the period's report."""
        for name in (_address_key(address), _credential_key(credential)):
            key = self._keys.setdefault(name, _Key())
            if key.locked_until > now:
                continue  # already locked: the lock runs its course, attempts do not extend it
            while key.failures and key.failures[0] <= now - self.window_s:
                key.failures.popleft()
            key.failures.append(now)
            if len(key.failures) >= self.max_failures:
                key.locked_until = now + self.lockout_s
                key.failures.clear()
        self._forget(now)
        report = self._reports.get(address)
        if report is None:
            self._reports[address] = _Report(now)
            return 1
        report.unreported += 1
        return None

    def due(self, now: float) -> list[tuple[str, int]]:
        """(address, failures) to audit for the periods that have ended; forgets them."""
        ended = [a for a, r in self._reports.items() if r.opened + self.audit_period_s <= now]
        counts = [(a, self._reports.pop(a).unreported) for a in ended]
        return [(a, n) for a, n in counts if n]

    def next_due(self) -> float | None:
        """When the earliest open period ends (the hub wakes then to write its row)."""
        return min((r.opened + self.audit_period_s for r in self._reports.values()), default=None)

    def _forget(self, now: float) -> None:
        """Keys with nothing left to remember go, so a scan of many addresses leaves no trace."""
        if len(self._keys) < 1024:
            return
        stale = [n for n, k in self._keys.items()
                 if k.locked_until <= now and (not k.failures or k.failures[-1] <= now - self.window_s)]  # fmt: skip
        for name in stale:
            del self._keys[name]


def _address_key(address: str) -> str:
    return f"address:{address}"


def _credential_key(credential: str) -> str:
    return f"credential:{credential}"
