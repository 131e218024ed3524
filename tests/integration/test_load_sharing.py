"""Start-up loads one object per repeated value (server/storage/store.py `load_world`): the
world loaded from the table equals the one that wrote it, while its log entries share their
incident's id, their dispatcher and their equal change records instead of a copy per row."""

from server.storage.store import Store


def test_a_loaded_world_equals_the_written_one_and_shares_repeated_values(desk):
    for n in range(6):
        incident = desk.ready_incident(description=f"roof {n}")
        desk.ok("incident.note", incident_id=incident, text=f"caller {n} says the water rises")
        if n % 2 == 0:
            desk.ok("incident.close", incident_id=incident)
    call = desk.ok("call.create", description="on the line")["call_id"]
    desk.ok("call.attach", call_id=call, incident_id=incident)
    open_incident = incident

    loaded = Store(desk.runner.store.engine).load_world()

    assert loaded.incidents == desk.world.incidents and list(loaded.incidents) == list(desk.world.incidents)
    assert loaded.calls == desk.world.calls
    entries = [e for i in loaded.incidents.values() for e in i.log]
    for loaded_incident in loaded.incidents.values():
        assert all(e.incident_id is loaded_incident.id for e in loaded_incident.log)
        assert loaded_incident.log[0].log_timestamp is loaded_incident.incident_created  # one command wrote both
    assert len({id(e.dispatcher) for e in entries}) == 1
    changes = [e.change_data for e in entries if e.change_data and e.change_data.get("change") == "state"]
    assert len(changes) == 3 and len({id(c) for c in changes}) == 1  # three closes, one record
    assert loaded.calls[call].incident_id is loaded.incidents[open_incident].id
