"""Entity ids: nanoid's shape, unique, and in the order they were made."""

import time

from nanoid.resources import alphabet, size

from server.app.ids import new_id


def test_ids_have_nanoids_length_and_alphabet_and_do_not_repeat() -> None:
    ids = [new_id() for _ in range(5000)]  # several draws of random bytes
    assert len(set(ids)) == len(ids)
    assert all(len(i) == size and set(i) <= set(alphabet) for i in ids)


def test_ids_made_in_later_milliseconds_sort_after_earlier_ones() -> None:
    made = []
    for _ in range(4):
        made.append(new_id())
        time.sleep(0.002)
    assert made == sorted(made)  # byte order, as an index keeps them
    assert len({i[:8] for i in made}) == len(made)  # each from its own millisecond



def test_the_time_symbols_count_up_in_byte_order_and_never_start_with_a_dash() -> None:
    from server.app.ids import _time_prefix

    assert _time_prefix(0) == "0" + "-" * 7  # "-" is the smallest symbol by byte
    assert _time_prefix(1) < _time_prefix(63) < _time_prefix(64) < _time_prefix(2**45)
    assert new_id()[0].isdigit()
