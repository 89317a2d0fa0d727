"""sqlite_rank: when the rows FTS5 ranked alone settle the page, and what else must be known."""

from __future__ import annotations

from worker.store.sqlite_rank import cut


def test_every_match_read_is_ordered_by_score_then_newest():
    read = [(3, 2.0), (2, 1.0), (1, 1.0)]
    dated = {3: ("2021-01-01", 0), 2: ("2021-01-02", 0), 1: ("2021-01-03", 0)}
    assert cut(read, dated, wanted=2, limit=5, keep_copies=False).rows == [(3, 2.0), (1, 1.0)]


def test_rows_above_the_last_score_read_need_nothing_more():
    read = [(5, 3.0), (4, 2.0), (9, 1.0)]
    settled = cut(read, {r: ("2021-01-01", 0) for r, _ in read}, wanted=2, limit=3, keep_copies=False)
    assert (settled.rows, settled.check) == ([(5, 3.0), (4, 2.0)], None)


def test_a_tie_at_the_cut_holds_if_no_older_rowid_is_dated_later():
    read = [(9, 1.0), (8, 1.0), (7, 1.0)]
    dated = {9: ("2021-01-02", 0), 8: ("2021-01-03", 0), 7: ("2021-01-01", 0)}
    settled = cut(read, dated, wanted=2, limit=3, keep_copies=False)
    assert (settled.rows, settled.check) == ([(8, 1.0), (9, 1.0)], (7, "2021-01-02"))


def test_near_copies_leaving_too_few_ask_for_more_rows():
    read = [(9, 1.0), (8, 1.0), (7, 1.0)]
    dated = {9: ("2021-01-03", 1), 8: ("2021-01-02", 1), 7: ("2021-01-01", 0)}
    assert cut(read, dated, wanted=2, limit=3, keep_copies=False).more
    assert cut(read, dated, wanted=2, limit=3, keep_copies=True).rows == [(9, 1.0), (8, 1.0)]


def test_an_undated_row_at_the_cut_needs_the_exact_ranking():
    read = [(9, 1.0), (8, 1.0), (7, 1.0)]
    dated = {9: ("2021-01-03", 0), 8: (None, 0), 7: (None, 0)}
    assert cut(read, dated, wanted=2, limit=3, keep_copies=False).exact
