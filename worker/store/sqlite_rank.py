"""Where the best matches of words alone end, from FTS5's own ranking (pure; runs nothing).

The page's order is "best score, then newest published, then newest rowid". FTS5 alone can
rank by score then rowid, without reading each match's row of article_dates (date and
near-copy flag), which costs about as much as FTS5's own ranking. So SqliteStore reads the
best ``limit`` by score and rowid, then the dates and copy flags of those rows only, and this
module says whether they settle the page:

- rows scoring above the last row read are all among those read, whatever their dates;
- rows tied with the last row read may be missing, but only ones of a smaller rowid than it.
  They are older than the chosen ones when no article of a smaller rowid was published after
  the last one chosen (``Cut.check``, one range read of articles_published): true wherever
  articles arrive in date order, and then no date beyond the rows read is needed;
- too few rows left once near-copies are set aside: read further (``Cut.more``).

Real text rarely ties at the cut (scores differ with every length); generated text with
articles of one length ties almost everywhere, which the check covers too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Match:
    rowid: int
    score: float
    published: str | None


def order(matches: list[Match]) -> list[Match]:
    """Best score, then newest published (undated last, as SQLite's DESC puts NULL), then newest rowid."""
    return sorted(matches, key=lambda m: (m.score, m.published is not None, m.published or "", m.rowid), reverse=True)


@dataclass(frozen=True)
class Cut:
    rows: list[tuple[int, float]] | None = None  # the best ``wanted`` (rowid, score), when settled
    more: bool = False  # too few rows read: read more
    exact: bool = False  # these rows cannot settle it: rank every match with its date
    check: tuple[int, str] | None = None  # (rowid, date): rows holds if no article before rowid is dated after date


def cut(read: list[tuple[int, float]], dated: dict[int, tuple[str | None, int]], wanted: int, limit: int,
        keep_copies: bool) -> Cut:
    """``read``: the best ``limit`` matches by (score, rowid) descending; ``dated``: rowid -> (published, is_copy)."""
    kept = [Match(r, s, dated[r][0]) for r, s in read if r in dated and (keep_copies or not dated[r][1])]
    if len(read) < limit:  # every match was read
        return Cut(rows=_pairs(order(kept)[:wanted]))
    last = read[-1]
    above = order([m for m in kept if m.score > last[1]])
    if len(above) >= wanted:
        return Cut(rows=_pairs(above[:wanted]))
    tied = order([m for m in kept if m.score == last[1]])[: wanted - len(above)]
    if len(above) + len(tied) < wanted:
        return Cut(more=True)
    if tied[-1].published is None:  # any dated row missing would come before it
        return Cut(exact=True)
    return Cut(rows=_pairs(above + tied), check=(last[0], tied[-1].published))


def _pairs(matches: list[Match]) -> list[tuple[int, float]]:
    return [(m.rowid, m.score) for m in matches]
