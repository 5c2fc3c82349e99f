"""Recipient lists are split over events of at most 500 ids."""

from __future__ import annotations

from shared.outbox import chunked


def test_a_long_list_is_split_in_order_and_an_empty_one_is_one_empty_part() -> None:
    parts = chunked(list(range(1201)))
    assert [len(part) for part in parts] == [500, 500, 201]
    assert [item for part in parts for item in part] == list(range(1201))
    assert chunked([]) == [[]]
