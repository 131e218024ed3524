"""The command runner on a real SQLite file and on PostgreSQL: one transaction per command, idempotent resends,
ordered gap-free events, and a restart that loads exactly what was acknowledged."""

import sqlalchemy as sa

from server.app.bootstrap import open_runner
from tests.support.desk import CASTRIES_SQUARE, Desk, desk_on, open_desk
from tests.support.postgres import both_backends

pytestmark = both_backends


def table_counts(desk: Desk) -> dict[str, int]:
    engine = desk.runner.store.engine
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {n: conn.exec_driver_sql(f'SELECT count(*) FROM "{n}"').scalar_one() for n in names if n != "alembic_version"}


def test_a_refused_command_leaves_no_trace_but_its_answer(desk):
    incident = desk.ready_incident()
    desk.available("E1", "M1")
    desk.ok("unit.assign", incident_id=incident, units=["E1", "M1"])
    before_counts, before_world = table_counts(desk), dict(desk.world.incidents)
    before_status = dict(desk.world.unit_status)
    outcome = desk.send("incident.close", incident_id=incident)
    assert not outcome.ok and outcome.events == []
    outcome = desk.send("unit.assign", incident_id=incident, units=["E2", "E1"], state="on_scene")
    assert not outcome.ok
    after = table_counts(desk)
    assert after.pop("command_result") == before_counts.pop("command_result") + 2
    assert after.pop("audit") == before_counts.pop("audit") + 2  # audited in the same transaction
    assert after == before_counts
    assert desk.world.incidents == before_world and desk.world.unit_status == before_status


def test_a_failure_in_the_middle_of_a_walk_rolls_everything_back(desk):
    incident = desk.ok("incident.create", description="no type yet")["incident_id"]
    desk.available("E1")
    seq = desk.world.seq
    # assign succeeds in memory, then the walk to on_scene cannot make the incident active
    error = desk.refused("unit.assign", incident_id=incident, units=["E1"], state="on_scene")
    assert error["code"] == "invariant"
    assert desk.status("E1").state == "available_radio" and desk.incident(incident).units == ()
    assert desk.world.seq == seq and desk.runner.store.events_after(seq) == []


def test_a_resent_command_is_applied_once_and_answered_the_same(desk):
    first = desk.send("incident.create", command_id="abc-1", description="first")
    again = desk.send("incident.create", command_id="abc-1", description="first")
    assert again.replayed and again.ok and again.result == first.result and again.events == []
    assert len(desk.world.incidents) == 1
    refused = desk.send("incident.close", command_id="abc-2", incident_id="nope")
    assert desk.send("incident.close", command_id="abc-2", incident_id="nope").result == refused.result


def test_events_are_gap_free_ordered_and_stored(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"], state="on_scene")
    events = desk.runner.store.events_after(0)
    assert [e["seq"] for e in events] == list(range(1, desk.world.seq + 1))
    assert events[-1]["name"] == "unit.status_changed"
    last = events[-1]["data"]
    assert last["unit"]["status"]["state"] == "on_scene"
    assert any(e["data"].get("incident", {}).get("state") == "active" for e in events)
    assert events[-1]["at"].endswith("Z") and events[-1]["caused_by"].startswith("cmd-")


def test_a_created_entity_comes_whole_and_later_events_carry_only_what_changed(desk):
    call = desk.ok("call.create", caller_name="Marie", location=CASTRIES_SQUARE)["call_id"]
    incident = desk.ok("call.create_incident", call_id=call)["incident_id"]
    events = desk.runner.store.events_after(0)
    created = [e for e in events if e["name"] == "incident.created"][0]
    data = created["data"]["incident"]
    assert data["id"] == incident and data["call_ids"] == [call] and data["state"] == "new"
    assert data["location"] == CASTRIES_SQUARE and "log" not in data  # log entries travel on their own
    assert "incident_ended" not in data  # absence is an absent field, never a placeholder
    logged = [entry for e in events for entry in [e["data"].get("log_entry")] + e["data"].get("log_entries", []) if entry]
    assert len(logged) == len(desk.incident(incident).log) >= 1  # each entry sent once
    assert all(entry["incident_id"] == incident for entry in logged)
    seq = desk.world.seq
    desk.ok("incident.update", incident_id=incident, incident_priority="B")
    (changed,) = [e for e in desk.runner.store.events_after(seq) if e["name"] == "incident.updated"]
    assert set(changed["data"]["incident"]) == {"id", "incident_priority"}
    assert changed["data"]["incident"]["incident_priority"] == "B"
    desk.ok("incident.update", incident_id=incident, incident_priority=None)
    assert desk.runner.store.events_after(seq + 1)[0]["data"]["incident"] == {"id": incident, "incident_priority": None}


def test_restart_loads_exactly_what_was_acknowledged(desk, tmp_path):
    incident = desk.ready_incident()
    desk.available("E1", "M1")
    desk.ok("unit.assign", incident_id=incident, units=["E1", "M1"])
    desk.ok("unit.dispatch", incident_id=incident)
    desk.ok("alert.ack", unit="E1", target_id=desk.target_of("E1"))
    need = desk.ok("incident.add_need", incident_id=incident, resource_type="WATER", quantity=100)["need_id"]
    water = next(r for r in desk.world.resources.values() if r.resource_type == "WATER" and r.free >= 100)
    desk.ok("resource.allocate", resource_id=water.id, need_id=need, quantity=100)
    call = desk.ok("call.create", caller_phone="+17585550100", location=CASTRIES_SQUARE)["call_id"]
    desk.ok("call.attach", call_id=call, incident_id=incident)
    desk.ok("incident.note", incident_id=incident, text="crew requests water")
    reloaded = desk.runner.store.load_world()
    world = desk.world
    assert reloaded.incidents == world.incidents
    assert reloaded.calls == world.calls
    assert reloaded.unit_status == world.unit_status
    assert reloaded.resources == world.resources
    assert reloaded.seq == world.seq
    assert reloaded.units == world.units and reloaded.alert_targets == world.alert_targets


def test_reopening_keeps_reference_ids_and_live_state(server_database):
    desk = desk_on(server_database)
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"])
    unit_ids = {u.callsign: u.id for u in desk.world.units.values()}
    desk.runner.store.engine.dispose()
    reopened = Desk(open_runner(server_database, clock=desk.clock), desk.clock)
    assert {u.callsign: u.id for u in reopened.world.units.values()} == unit_ids
    assert reopened.status("E1").assigned_to_incident_id == incident
    assert reopened.world.deployment.timezone == "America/St_Lucia"
    reopened.runner.store.engine.dispose()


def test_sqlite_runs_with_wal_and_full_sync(template_db, tmp_path):
    desk = open_desk(template_db, tmp_path)
    with desk.runner.store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    desk.runner.store.engine.dispose()


def test_bad_arguments_name_the_field(desk):
    error = desk.refused("incident.create", description=12, colour="red")
    assert error["code"] == "bad_request"
    fields = {p["field"] for p in error["details"]["problems"]}
    assert fields == {"description", "colour"}


def test_unknown_commands_and_non_object_args(desk):
    assert desk.refused("incident.explode")["code"] == "unknown_command"
    outcome = desk.runner.run("c-list", "incident.create", ["not", "an", "object"], desk.actor)
    assert outcome.result["code"] == "bad_request"


def test_a_storage_failure_applies_nothing_and_the_command_can_be_resent(desk, monkeypatch):
    real_write = desk.runner.store._statements

    def failing(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(desk.runner.store, "_statements", failing)
    outcome = desk.send("incident.create", command_id="retry-me", description="during the outage")
    assert outcome.result["code"] == "internal" and desk.world.incidents == {} and desk.world.seq == 0
    monkeypatch.setattr(desk.runner.store, "_statements", real_write)
    assert desk.send("incident.create", command_id="retry-me", description="during the outage").ok
    assert len(desk.world.incidents) == 1


def test_every_command_of_the_protocol_has_its_handler_and_nothing_else_does():
    from server import protocol
    from server.app.handlers import HANDLERS, READERS

    answered_by_the_hub = {name for name, spec in protocol.COMMANDS.items() if spec.control or spec.account}
    assert not set(HANDLERS) & set(READERS)
    assert set(HANDLERS) | set(READERS) == set(protocol.COMMANDS) - answered_by_the_hub


def test_a_write_that_fails_half_way_leaves_none_of_its_rows(desk, monkeypatch):
    """The batch's statements run in one transaction: the ones before the failure roll back."""
    real_statements = desk.runner.store._statements

    def first_then_failing(dialect, rows):
        statements = real_statements(dialect, rows)
        yield next(statements)  # the incident's row is written...
        raise OSError("disk full")  # ...then the log entry's fails

    monkeypatch.setattr(desk.runner.store, "_statements", first_then_failing)
    outcome = desk.send("incident.create", command_id="half", description="half written?")
    assert outcome.result["code"] == "internal"
    monkeypatch.undo()
    assert desk.runner.store.load_world().incidents == {} and desk.runner.store.events_after(0) == []
