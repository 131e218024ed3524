"""Users, tokens, roles and the audit table on a real SQLite file."""

import pytest

from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.domain.world import Actor
from server.net.accounts import Accounts


@pytest.fixture
def accounts(desk):
    return Accounts(desk.runner.store.engine)


def test_a_token_is_shown_once_and_stored_only_as_a_hash(accounts, desk):
    user, token = accounts.add("maria", "dispatcher", desk.clock.now())
    assert accounts.authenticate(token) == user
    with desk.runner.store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT token_hash FROM user").scalar_one()
    assert token not in stored and len(stored) == 64
    assert accounts.authenticate(token + "x") is None


def test_revoked_tokens_stop_working(accounts, desk):
    _, token = accounts.add("night-shift", "supervisor", desk.clock.now())
    accounts.revoke("night-shift", desk.clock.now())
    assert accounts.authenticate(token) is None
    with pytest.raises(NotFound):
        accounts.revoke("night-shift", desk.clock.now())


def test_names_are_unique_and_roles_known(accounts, desk):
    accounts.add("maria", "observer", desk.clock.now())
    with pytest.raises(Conflict):
        accounts.add("maria", "dispatcher", desk.clock.now())
    with pytest.raises(ValidationFailed):
        accounts.add("bob", "admin", desk.clock.now())
    assert [u.name for u in accounts.list()] == ["maria"]


def test_an_observer_changes_nothing(desk):
    observer = Actor("obs", "observer")
    outcome = desk.send("incident.create", actor=observer, description="x")
    assert outcome.result["code"] == "forbidden" and desk.world.incidents == {}


def test_a_unit_terminal_reports_only_its_own_kind_of_things(desk):
    terminal = Actor("m1", "unit", unit="M1")
    assert desk.send("unit.set_state", actor=terminal, unit="M1", state="available_radio").ok
    assert desk.send("incident.create", actor=terminal).result["code"] == "forbidden"


def test_audit_rows_are_appended(accounts, desk):
    accounts.audit(desk.clock.now(), "login_failed", address="127.0.0.1")
    accounts.audit(desk.clock.now(), "command", user_id="u1", command="incident.create", command_id="c1", result="ok")
    rows = accounts.audit_since(desk.clock.now())
    assert [r["kind"] for r in rows] == ["login_failed", "command"] and rows[1]["result"] == "ok"
