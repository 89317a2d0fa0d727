"""HTML reading benchmark: our reader against bare trafilatura with metadata, page by page.

    .venv/bin/python bench/html_pages.py [--dir DIR ...] [--runs 6] [--profile]

Pages: every *.html under each --dir (recursively); by default the whole-HTML articles of
tests/data/articles, the table pages of tests/data/html, and ../shared/corpus/real-feeds/*.html
when that folder exists. Each page is read into memory once; no file I/O is timed.
Reader: ``worker.sources.html.read_html(origin, bytes)``, what ``read_file`` does with an HTML
file: decode by charset, trafilatura's extraction with metadata, tables kept as text rows,
the RawDocument.
Baseline: ``trafilatura.bare_extraction(bytes, **EXTRACTION_OPTIONS)``, the same options the
reader asks for (metadata, no comments, tables, the same date search), so the ratio is what
the reader adds to trafilatura's own work. For reference, the run also times
``trafilatura.extract(bytes)`` (defaults, no metadata), the yardstick of issue 14.
All three warm up once, then run alternately ``--runs`` times, each round in another order
(whichever runs first is faster on the big pages); each page's best time counts, and the
totals are the sums of those bests. Target: reader/baseline < 1.3.
``--profile``: one reader pass under cProfile, the functions taking the most time.
A benchmark, not a test: the exit code is 0 whether or not the target is met.
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import lxml.etree  # noqa: E402
import trafilatura  # noqa: E402
from timing import alternate  # noqa: E402

from worker.errors import InputError  # noqa: E402
from worker.sources.html import EXTRACTION_OPTIONS, read_html  # noqa: E402

REAL_FEED_PAGES = ROOT.parent / "shared" / "corpus" / "real-feeds"
DEFAULT_DIRS = [ROOT / "tests" / "data" / "articles", ROOT / "tests" / "data" / "html", REAL_FEED_PAGES]
TARGET = 1.3

Page = tuple[str, bytes]


def load_pages(folders: list[Path]) -> list[Page]:
    pages = []
    for folder in folders:
        if folder.is_dir():
            pages.extend((str(p.relative_to(folder.parent)), p.read_bytes()) for p in sorted(folder.rglob("*.html")))
    return pages


def reader(origin: str, data: bytes) -> bool:
    try:
        return bool(read_html(origin, data).text)
    except InputError:
        return False


def bare(origin: str, data: bytes) -> bool:
    return trafilatura.bare_extraction(data, **EXTRACTION_OPTIONS) is not None


def bare_extract(origin: str, data: bytes) -> bool:
    return trafilatura.extract(data) is not None


def timed_pass(pages: list[Page], read: Callable[[str, bytes], bool], best: list[float]) -> Callable[[], float]:
    """A contestant for ``alternate``: one pass over the pages, keeping each page's best time."""

    def run() -> float:
        total = 0.0
        for n, (origin, data) in enumerate(pages):
            start = time.perf_counter()
            read(origin, data)
            seconds = time.perf_counter() - start
            best[n] = min(best[n], seconds)
            total += seconds
        return total

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", dest="dirs", type=Path, action="append", help="Read the *.html pages under this folder (repeatable).")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--profile", action="store_true", help="Profile one reader pass and print where its time goes.")
    args = parser.parse_args()

    folders = [d.resolve() for d in args.dirs] if args.dirs else DEFAULT_DIRS
    pages = load_pages(folders)
    if not pages:
        sys.exit(f"no *.html pages under {', '.join(map(str, folders))}")
    print(f"pages:    {len(pages)} ({sum(len(d) for _, d in pages) / 1024:,.0f} KiB) from "
          + ", ".join(str(f) for f in folders if f.is_dir()))
    read_ok = [reader(o, d) for o, d in pages]  # warm-up, and what each gives
    bare_ok = [bare(o, d) for o, d in pages]
    [bare_extract(o, d) for o, d in pages]

    best = {name: [float("inf")] * len(pages) for name in ("reader", "bare", "extract")}
    passes = [timed_pass(pages, fn, best[name]) for name, fn in (("reader", reader), ("bare", bare), ("extract", bare_extract))]
    for round_ in range(args.runs):
        # Each round in another order: the pass that runs first is measurably faster on big pages.
        alternate(1, *passes[round_ % len(passes):], *passes[:round_ % len(passes)])

    print(f"{'page':58} {'reader ms':>9} {'bare ms':>8} {'ratio':>6}")
    for n, (origin, _) in enumerate(pages):
        r, b = best["reader"][n] * 1000, best["bare"][n] * 1000
        note = "" if read_ok[n] and bare_ok[n] else f"  (text: reader {read_ok[n]}, bare {bare_ok[n]})"
        print(f"{origin[-58:]:58} {r:9.2f} {b:8.2f} {r / b:6.2f}{note}")
    total = {name: sum(times) * 1000 for name, times in best.items()}
    print(f"total:    reader {total['reader']:,.1f} ms, bare_extraction with metadata {total['bare']:,.1f} ms "
          f"(best of {args.runs} per page)")
    print(f"ratio reader/bare_extraction: {total['reader'] / total['bare']:.2f}  (target < {TARGET})")
    print(f"for reference, trafilatura.extract (no metadata): {total['extract']:,.1f} ms, "
          f"reader/extract {total['reader'] / total['extract']:.2f}")
    print(f"versions: Python {platform.python_version()}, trafilatura {trafilatura.__version__}, "
          f"lxml {'.'.join(map(str, lxml.etree.LXML_VERSION[:3]))}")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [reader(o, d) for o, d in pages])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
