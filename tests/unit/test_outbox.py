"""The outbox's bookkeeping: order, bound, what a dispatcher sees, refusals of waiting commands."""

import pytest

from hurrinet_tui.outbox import Entry, Outbox, OutboxFull, describe


def entry(n: int, at: float = 0.0, **fields) -> Entry:
    return Entry(f"id{n}", "incident.note", {"incident_id": "abcdef123", "text": f"note {n}"}, f"frame {n}",
                 f"no note {n}", at, **fields)  # fmt: skip


def test_entries_keep_their_order_and_the_bound_refuses_the_one_too_many():
    outbox = Outbox(limit=3)
    for n in range(3):
        outbox.add(entry(n))
    with pytest.raises(OutboxFull, match="3 commands already wait"):
        outbox.add(entry(3))
    assert [e.command_id for e in outbox.entries()] == ["id0", "id1", "id2"]
    assert outbox.pop("id1").label == "no note 1" and outbox.pop("id1") is None
    outbox.add(entry(4))
    assert [e.command_id for e in outbox.entries()] == ["id0", "id2", "id4"] and len(outbox) == 3


def test_rows_show_waiting_and_slow_commands_with_their_age_not_quick_ones():
    outbox = Outbox()
    outbox.add(entry(0, at=10.0, waited=True))  # queued while the link was down
    outbox.add(entry(1, at=19.5, sent_at=19.5))  # sent half a second ago: not worth a row yet
    outbox.add(entry(2, at=15.0, sent_at=15.0))  # unanswered for five seconds
    rows = outbox.rows(now=20.0)
    assert [(r.command_id, r.age_s, r.sent) for r in rows] == [("id0", 10.0, False), ("id2", 5.0, True)]


def test_a_lost_connection_makes_every_unanswered_command_one_that_waited():
    outbox = Outbox()
    outbox.add(entry(0, at=0.0, sent_at=0.0))
    assert not outbox.entries()[0].waited
    outbox.connection_lost()
    assert outbox.entries()[0].waited and [r.command_id for r in outbox.rows(now=0.1)] == ["id0"]


def test_overdue_counts_only_commands_that_went_out():
    outbox = Outbox()
    outbox.add(entry(0, at=0.0))  # never sent: waiting for the link is not the link being slow
    assert not outbox.overdue(now=100.0, after_s=5.0)
    outbox.add(entry(1, at=0.0, sent_at=94.0))
    assert outbox.overdue(now=100.0, after_s=5.0) and not outbox.overdue(now=98.0, after_s=5.0)


def test_a_refusal_of_a_command_that_waited_is_kept_against_its_line_until_dismissed():
    outbox = Outbox()
    waited, quick = entry(0, at=0.0, waited=True), entry(1, at=0.0)
    outbox.refused(waited, "unit already assigned [conflict]", now=30.0)
    outbox.refused(quick, "shown on the message line already [validation]", now=30.0)
    rows = outbox.rows(now=31.0)
    assert [(r.label, r.refusal) for r in rows] == [("no note 0", "unit already assigned [conflict]")]
    assert outbox.dismiss("id0") and not outbox.dismiss("id0") and outbox.rows(now=31.0) == []


def test_describe_names_a_command_in_a_few_words():
    assert describe("incident.note", {"incident_id": "mG98tEabcdefghijklmno", "text": "water rising"}) == (
        'incident.note #mG98tE "water rising"'
    )
    assert describe("unit.assign", {"incident_id": "abcdefgh", "units": ["E12", "M4"]}) == "unit.assign #abcdef E12 M4"
    assert describe("unit.set_state", {"unit": "E12", "state": "on_scene"}) == "unit.set_state E12 on_scene"
    assert describe("incident.create", {"incident_type": "FLOOD", "incident_priority": "B", "description": "water"},
                    ) == 'incident.create FLOOD B "water"'  # fmt: skip
    long = describe("incident.note", {"incident_id": "x" * 21, "text": "y" * 80}, limit=30)
    assert len(long) == 30 and long.endswith("…")
