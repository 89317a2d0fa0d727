"""WARC benchmark: a CC-NEWS-like file read through the pipeline up to extraction, against bare
warcio iteration plus bare trafilatura; and the peak memory of reading a big file.

    .venv/bin/python bench/warc.py [--pages 2000] [--runs 3] [--large-mb 300] [--cache /tmp/newsworker-bench-warc]

File: --pages news pages made from the project's seed generator (bench/extract.py: the seed
article and feed items, paragraphs shuffled, figures varied, random.Random(17)) as whole HTML
pages (head with title, description, Open Graph and article:published_time, a site header,
navigation, the article, related links, a footer) on 20 outlets, each fetched once: a
``request`` and a ``response`` record, one gzip member each, after a ``warcinfo`` record, as a
crawler writes CC-NEWS. Written once into --cache and reused.
Pipeline: ``worker.sources.warc.read_warc`` (the records streamed, response/200/HTML read by
trafilatura with metadata like an HTML file, the RawDocument) and ``normalize`` of each: what
an ingest task does before spaCy. Baseline: ``warcio.ArchiveIterator`` over the same file,
each 200 HTML response's payload read and given to ``trafilatura.bare_extraction`` with the
same options (``EXTRACTION_OPTIONS``). All warm up once, then run alternately --runs times, each round in another order;
each one's best run counts; ``read_warc`` alone (the reader) is timed beside them. Reported:
pages/s of each and the ratios (target: the reader takes at most 1.3x the baseline's time;
normalize, mostly language detection, is the pipeline's own next stage and is shown apart).
Memory: the file is made again at --large-mb of gzip (the same pages with other URLs, and one
in eight responses an incompressible 200 KB image, read past as "not HTML"), and a fresh
process reads each file through ``read_warc`` with ``--domain`` of one outlet (1/20 of the
pages extracted, the rest passed over by their headers: taking the outlets one wants from a
big file; ``--domain ''``: every page extracted). Reported: each process's peak RSS (VmHWM); target: the big file's within 10%
of the small one's, i.e. memory does not grow with the file.
A benchmark, not a test: the exit code is 0 whether or not the targets are met.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import subprocess
import sys
import time
from html import escape
from io import BytesIO
from pathlib import Path

# The bench folder is on the path as the script's own (extract.py, timing.py); the worker is not.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET = 1.3
MEMORY_TARGET = 1.10
OUTLETS = [f"www.{name}.example" for name in (
    "dailyherald", "gulfpost", "capitalnews", "northtimes", "valleyobserver", "harbourgazette", "eveningstar",
    "metroledger", "coastchronicle", "plainsreporter", "riverdispatch", "summitjournal", "desertcourier",
    "islandtribune", "lakesideexpress", "frontierpress", "uplandsentinel", "bayview", "westernmail", "eastwire")]
DOMAIN = "gulfpost.example"


# -- the file ---------------------------------------------------------------------------------


def news_page(n: int, title: str, standfirst: str, paragraphs: list[str], outlet: str, published: str) -> bytes:
    """One article page as a news site serves it, boilerplate and all."""
    site = outlet.split(".")[1].capitalize()
    slug = "-".join(title.lower().split()[:8])
    nav = "".join(f'<li><a href="/{s}">{s.title()}</a></li>' for s in ("world", "politics", "business", "sport", "opinion"))
    related = "".join(f'<li><a href="/news/{n + k}">Related story {n + k}</a></li>' for k in range(1, 6))
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | {site}</title>'
        f'<meta name="description" content="{escape(standfirst)}">'
        f'<meta property="og:title" content="{escape(title)}"><meta property="og:site_name" content="{site}">'
        f'<meta property="article:published_time" content="{published}">'
        f'<link rel="canonical" href="https://{outlet}/news/{n}-{slug}"></head><body>'
        f'<header><a href="/">{site}</a><nav><ul>{nav}</ul></nav></header>'
        f'<main><article><h1>{escape(title)}</h1><p class="standfirst">{escape(standfirst)}</p>'
        f'<p class="byline">By Staff Reporter</p><time datetime="{published}">{published[:10]}</time>{body}</article>'
        f'<aside><h2>Related</h2><ul>{related}</ul></aside></main>'
        f'<footer><p>&copy; 2024 {site}. All rights reserved.</p><a href="/privacy">Privacy</a></footer></body></html>'
    ).encode()


def pages(count: int, rng: random.Random) -> list[tuple[str, bytes]]:
    from extract import seed_templates, vary_figures

    templates = seed_templates()
    made = []
    for n in range(count):
        title, standfirst, paragraphs = templates[n % len(templates)]
        body = [vary_figures(p, rng) for p in paragraphs]
        rng.shuffle(body)
        outlet = OUTLETS[n % len(OUTLETS)]
        published = f"2024-05-{1 + n % 28:02d}T{n % 24:02d}:00:00+00:00"
        made.append((outlet, news_page(n, f"{title} ({n})", standfirst, body, outlet, published)))
    return made


def write_warc(path: Path, made: list[tuple[str, bytes]], target_bytes: int = 0, rng: random.Random | None = None) -> None:
    """The pages as request/response pairs; with ``target_bytes``, repeated under other URLs (and
    one response in eight an image) until the file is that big."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench/warc.py", "format": "WARC/1.0"}))
        n = 0
        while True:
            outlet, payload = made[n % len(made)]
            if target_bytes and n % 8 == 7:
                outlet, payload, kind = OUTLETS[0], rng.randbytes(200_000), "image/jpeg"
            else:
                kind = "text/html; charset=utf-8"
            uri = f"https://{outlet}/news/{n}"
            date = f"2024-05-{1 + n % 28:02d}T12:00:00Z"
            http = StatusAndHeaders(f"GET /news/{n} HTTP/1.1", [("Host", outlet)], is_http_request=True)
            writer.write_record(writer.create_warc_record(uri, "request", payload=BytesIO(b""), http_headers=http,
                                                          warc_headers_dict={"WARC-Date": date}))
            http = StatusAndHeaders("200 OK", [("Content-Type", kind), ("Content-Length", str(len(payload)))],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(uri, "response", payload=BytesIO(payload), http_headers=http,
                                                          warc_headers_dict={"WARC-Date": date}))
            n += 1
            if (not target_bytes and n == len(made)) or (target_bytes and out.tell() >= target_bytes):
                break
    tmp.rename(path)


# -- the contestants --------------------------------------------------------------------------


def run_reader(path: Path, then=lambda doc: None) -> tuple[float, int]:
    from worker.models import RawDocument
    from worker.settings import WarcSettings
    from worker.sources.warc import WarcFilter, read_warc

    start = time.perf_counter()
    count = 0
    for item in read_warc(path, [path.parent], WarcSettings(), WarcFilter()):
        if isinstance(item, RawDocument):
            then(item)
            count += 1
    return time.perf_counter() - start, count


def run_pipeline(path: Path) -> tuple[float, int]:
    from worker.normalize import normalize

    return run_reader(path, normalize)


def run_bare(path: Path) -> tuple[float, int]:
    import trafilatura
    from warcio.archiveiterator import ArchiveIterator

    from worker.sources.html import EXTRACTION_OPTIONS

    start = time.perf_counter()
    count = 0
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type != "response" or record.http_headers.get_statuscode() != "200":
                continue
            if not (record.http_headers.get_header("Content-Type") or "").startswith("text/html"):
                continue
            doc = trafilatura.bare_extraction(record.content_stream().read(), url=record.rec_headers.get_header(
                "WARC-Target-URI"), **EXTRACTION_OPTIONS)
            count += doc is not None
    return time.perf_counter() - start, count


def child_peak(path: Path, domain: str) -> dict:
    """In this fresh process: read the file with --domain, report peak RSS and counts."""
    from worker.models import Failure, RawDocument
    from worker.settings import WarcSettings
    from worker.sources.warc import WarcFilter, read_warc

    start = time.perf_counter()
    counts = {"pages": 0, "skipped": 0, "failed": 0}
    for item in read_warc(path, [path.parent], WarcSettings(), WarcFilter(domains=[domain] if domain else [])):
        key = "pages" if isinstance(item, RawDocument) else "failed" if isinstance(item, Failure) else "skipped"
        counts[key] += 1
    return {**counts, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM (Linux), which exec starts afresh; ru_maxrss would carry
    the parent's peak over fork and exec, and the parent holds spaCy."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_peak(path: Path, domain: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(path), "--domain", domain],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--large-mb", type=int, default=300, help="Size of the big file for the memory run (0: skip it).")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/newsworker-bench-warc"))
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--domain", default=DOMAIN, help="Memory run: --domain given to read_warc ('' : every page extracted).")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_peak(args.child, args.domain)))
        return

    from timing import alternate

    args.cache.mkdir(parents=True, exist_ok=True)
    small = args.cache / f"news-{args.pages}.warc.gz"
    made = None
    if not small.exists():
        made = pages(args.pages, random.Random(17))
        write_warc(small, made)
    print(f"file:     {small} ({small.stat().st_size / 2**20:,.1f} MiB, {args.pages:,} pages, request + response each)")

    results: dict[str, list[int]] = {"reader": [], "pipeline": [], "bare": []}

    def contestant(name, run):
        def timed() -> float:
            seconds, count = run(small)
            results[name].append(count)
            return seconds
        return timed

    run_pipeline(small), run_bare(small)  # warm-up: imports, caches
    runs = [contestant("reader", run_reader), contestant("pipeline", run_pipeline), contestant("bare", run_bare)]
    times: list[list[float]] = [[], [], []]
    for round_ in range(args.runs):
        # Each round in another order, so none always runs first (and warmest or coldest).
        order = [(round_ + k) % len(runs) for k in range(len(runs))]
        for k, seconds in zip(order, alternate(1, *(runs[k] for k in order))):
            times[k] += seconds
    reader, pipeline, bare = (min(t) for t in times)
    n = results["pipeline"][0]
    print(f"reader:   read_warc                {reader:7.2f} s  {n / reader:6.1f} pages/s  ({n:,} RawDocuments)")
    print(f"pipeline: read_warc + normalize    {pipeline:7.2f} s  {n / pipeline:6.1f} pages/s")
    print(f"baseline: warcio + trafilatura     {bare:7.2f} s  {results['bare'][0] / bare:6.1f} pages/s  "
          f"({results['bare'][0]:,} extractions)")
    print(f"ratio reader/baseline time: {reader / bare:.2f}  (target <= {TARGET}); pipeline/baseline: {pipeline / bare:.2f}"
          f"  (best of {args.runs}; runs reader/pipeline/bare "
          + ", ".join(f"{a:.1f}/{b:.1f}/{c:.1f}" for a, b, c in zip(*times)) + " s)")

    if args.large_mb:
        large = args.cache / f"news-{args.large_mb}mb.warc.gz"
        if not large.exists():
            made = made or pages(args.pages, random.Random(17))
            started = time.perf_counter()
            write_warc(large, made, args.large_mb * 2**20, random.Random(18))
            print(f"wrote {large} in {time.perf_counter() - started:.0f} s")
        peaks = {name: measure_peak(path, args.domain) for name, path in (("small", small), ("large", large))}
        for name, path in (("small", small), ("large", large)):
            p = peaks[name]
            print(f"memory {name}: {path.stat().st_size / 2**20:7.1f} MiB, --domain {args.domain or '(none)'}: {p['pages']:,} pages, "
                  f"{p['skipped']:,} skipped, {p['failed']} failed in {p['seconds']:.1f} s "
                  f"({path.stat().st_size / 2**20 / p['seconds']:.0f} MiB/s); peak RSS {p['peak_rss_mb']:.0f} MiB")
        ratio = peaks["large"]["peak_rss_mb"] / peaks["small"]["peak_rss_mb"]
        print(f"peak RSS large/small: {ratio:.2f}  (target <= {MEMORY_TARGET})")
    import importlib.metadata

    import trafilatura

    print(f"versions: Python {platform.python_version()}, warcio {importlib.metadata.version('warcio')}, "
          f"trafilatura {trafilatura.__version__}")


if __name__ == "__main__":
    main()
