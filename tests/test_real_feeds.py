"""Issue 14's acceptance: every entry of ../shared/corpus/real-feeds, through the CLI path a user
takes (`feeds add` each over a local HTTP server, one `feeds poll --all`), is a stored article
with an absolute link, a title, a source, text and its date, or is named with a reason in the
poll report or by `feeds add`. Skips cleanly without the corpus; `bench/real_feeds.py` prints
the same measurement.
"""

from __future__ import annotations

import pytest

from tests.conftest import SHARED_CORPUS
from tests.realfeeds import SITES, measure

REAL_FEEDS = SHARED_CORPUS / "real-feeds"


@pytest.mark.skipif(not REAL_FEEDS.is_dir(), reason=f"shared corpus folder {REAL_FEEDS} is absent")
def test_every_real_feed_entry_is_an_article_or_named_with_a_reason(env_settings, monkeypatch, server, capsys):
    env_settings()  # NEWSWORKER_* cleared, the data folder in tmp_path
    monkeypatch.setenv("NEWSWORKER_FETCH__ALLOW_PRIVATE", '["127.0.0.1/32"]')
    result = measure(REAL_FEEDS, server)
    with capsys.disabled():
        print("\nreal-feeds measurement:\n  " + "\n  ".join(result.lines()))
    assert result.entries > 1000 and result.articles > 0.9 * result.entries
    assert (result.unaccounted, result.lost) == (0, [])
    assert result.incomplete == []
    discovered = [p for p in result.pages if "(discovered from" in p]
    assert len(discovered) == len(SITES) and all("links http" in p for p in result.pages if p not in discovered)
