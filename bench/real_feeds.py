"""The real-feeds measurement: every entry of ../shared/corpus/real-feeds through the CLI path.

    .venv/bin/python bench/real_feeds.py [--corpus ../shared/corpus/real-feeds]

Serves the folder on 127.0.0.1, runs `newsworker feeds add URL` for each feed (and for the site
pages whose feed the corpus holds), one `newsworker feeds poll --all`, then reads the store:
entries (counted with feedparser / json), articles, each named reason, and the entries left
unaccounted. tests/test_real_feeds.py asserts the same measurement has none unaccounted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.httpserver import LocalServer  # noqa: E402
from tests.realfeeds import measure  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "real-feeds")
    parser.add_argument("--per-feed", action="store_true", help="also print entries and articles of each feed")
    parser.add_argument("--keep", type=Path, help="an empty folder to keep the store, registry and feed state in")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"{args.corpus} is absent: nothing to measure", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        tmp = str(args.keep.resolve()) if args.keep else scratch
        os.environ.update({
            "NEWSWORKER_DATA_DIR": f"{tmp}/var", "NEWSWORKER_FEEDS__REGISTRY": f"{tmp}/feeds.toml",
            "NEWSWORKER_FETCH__ALLOW_PRIVATE": '["127.0.0.1/32"]', "NEWSWORKER_BROKER_URL": "",
        })
        os.chdir(tmp)
        with LocalServer() as server:
            result = measure(args.corpus, server)
    print("\n".join(result.lines()))
    if args.per_feed:
        for name, (entries, articles) in sorted(result.per_feed.items()):
            print(f"{name:32s} {entries:4d} entries {articles:4d} articles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
