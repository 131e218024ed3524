"""Users, bearer tokens and the audit log (the adapter over their tables).

Tokens are 256-bit random strings shown once; only their SHA-256 is stored, which is enough
for secrets of that entropy (no slow hash needed) and lets a handshake check one index lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nanoid
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.domain import pin as pins
from server.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from server.domain.roles import Role
from server.domain.values import parse_callsign
from server.protocol import iso
from server.storage.database import reader
from server.storage.models import AuditRow, UserRow

USERS = UserRow.__table__  # type: ignore[attr-defined]
AUDIT = AuditRow.__table__  # type: ignore[attr-defined]
# Built once: every handshake runs it, and building the statement cost more than running it
# (500 sessions joining together, docs/performance.md).
_BY_TOKEN = sa.select(USERS).where(USERS.c.token_hash == sa.bindparam("token_hash"))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None = None
    unit: str | None = None  # the callsign a unit account is bound to


def _user(row: Any) -> User:
    return User(row.id, row.name, row.role, row.created_at, row.revoked_at, row.unit_callsign)


class Accounts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = reader(engine)  # reads on the event loop never wait for the hub's open batch

    def add(self, name: str, role: str, now: datetime, unit: str | None = None) -> tuple[User, str]:
        """Create a user; returns it and its token (shown once, never stored). A unit account
        names its unit's callsign (checked against the deployment by the caller that has it)."""
        if role not in {r.value for r in Role}:
            raise ValidationFailed(f"role must be one of {', '.join(r.value for r in Role)}", field="role")
        if not name or len(name) > 100:
            raise ValidationFailed("a user name is 1–100 characters", field="name")
        if role == Role.UNIT and unit is None:
            raise ValidationFailed("a unit account is bound to its unit: give --unit CALLSIGN", field="unit")
        if role != Role.UNIT and unit is not None:
            raise ValidationFailed(f"only a unit account is bound to a unit, not a {role}", field="unit")
        unit = None if unit is None else parse_callsign(unit)
        token = secrets.token_urlsafe(32)
        user = User(nanoid.generate(), name, role, now, unit=unit)
        with self.engine.begin() as conn:
            if conn.execute(sa.select(USERS.c.id).where(USERS.c.name == name)).first():
                raise Conflict(f"a user named {name!r} exists already", name=name)
            conn.execute(USERS.insert().values(id=user.id, name=name, role=role, token_hash=token_hash(token),
                                               created_at=now, unit_callsign=unit))  # fmt: skip
        return user, token

    def list(self) -> list[User]:
        with self.reader.connect() as conn:
            return [_user(r) for r in conn.execute(sa.select(USERS).order_by(USERS.c.name))]

    def revoke(self, name: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                USERS.update().where(USERS.c.name == name, USERS.c.revoked_at.is_(None)).values(revoked_at=now)
            )
        if done.rowcount == 0:
            raise NotFound(f"no active user named {name!r}", name=name)

    def authenticate(self, token: str) -> User | None:
        """The active user holding `token`, or None (unknown or revoked)."""
        with self.reader.connect() as conn:
            row = conn.execute(_BY_TOKEN, {"token_hash": token_hash(token)}).first()
        return None if row is None or row.revoked_at is not None else _user(row)

    # --- the lock screen's PIN (rules in server/domain/pin.py) -------------------------------
    # Answered by the hub (protocol: `account=True`): no event, no stored result; the PIN is in
    # no log, no audit row and no answer, and only its salted hash is kept.
    def _pin_row(self, conn: Any, user_id: str | None) -> Any:
        row = conn.execute(sa.select(USERS).where(USERS.c.id == user_id)).first() if user_id else None
        if row is None or row.revoked_at is not None:
            raise Forbidden("only a signed-in user has a PIN")
        return row

    def pin_status(self, user_id: str | None, now: datetime) -> dict[str, Any]:
        with self.reader.connect() as conn:
            row = self._pin_row(conn, user_id)
        locked = row.pin_locked_until is not None and now < row.pin_locked_until
        return {"pin_set": row.pin_hash is not None, **({"locked_until": iso(row.pin_locked_until)} if locked else {})}

    def set_pin(self, user_id: str | None, pin: str, current_pin: str | None, now: datetime) -> None:
        """Choose a PIN; changing one needs the current PIN (a wrong one counts as a guess)."""
        new = pins.check_pin(pin)
        with self.engine.begin() as conn:
            row = self._pin_row(conn, user_id)
            if row.pin_hash is not None:
                if current_pin is None:
                    raise Forbidden("a PIN is set already; give the current PIN to change it", field="current_pin")
                refused = self._check(conn, row, current_pin, now)
            else:
                refused = None
            if refused is None:
                conn.execute(USERS.update().where(USERS.c.id == row.id).values(
                    pin_hash=pins.hash_pin(new, secrets.token_bytes(16)), pin_failures=0, pin_locked_until=None))  # fmt: skip
        if refused is not None:
            raise refused  # after the commit: the wrong PIN stays counted

    def verify_pin(self, user_id: str | None, pin: str, now: datetime) -> None:
        """Nothing if the PIN is right; else a refusal, with the wrong PIN counted."""
        with self.engine.begin() as conn:
            row = self._pin_row(conn, user_id)
            if row.pin_hash is None:
                raise NotFound("no PIN is set yet; choose one first", pin_set=False)
            refused = self._check(conn, row, pin, now)
        if refused is not None:
            raise refused  # after the commit: the wrong PIN stays counted

    def _check(self, conn: Any, row: Any, pin: str, now: datetime) -> Forbidden | None:
        """None if `pin` is right (the count of wrong ones cleared); else the refusal to give,
        the wrong PIN counted and, every fifth, the PIN locked."""
        pins.ensure_not_locked(row.pin_locked_until, now)
        if isinstance(pin, str) and pins.pin_matches(pin, row.pin_hash):
            if row.pin_failures:
                conn.execute(USERS.update().where(USERS.c.id == row.id).values(pin_failures=0, pin_locked_until=None))
            return None
        failures = row.pin_failures + 1
        locked = pins.lock_for(failures)
        conn.execute(USERS.update().where(USERS.c.id == row.id).values(
            pin_failures=failures, pin_locked_until=now + locked if locked else row.pin_locked_until))  # fmt: skip
        return pins.refusal(failures, locked)

    # --- audit --------------------------------------------------------------------------------
    def audit(self, at: datetime, kind: str, **fields: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(AUDIT.insert().values(at=at, kind=kind, **fields))

    def audit_since(self, since: datetime) -> list[dict[str, Any]]:
        with self.reader.connect() as conn:
            rows = conn.execute(sa.select(AUDIT).where(AUDIT.c.at >= since).order_by(AUDIT.c.id)).mappings().all()
        return [dict(r) for r in rows]
