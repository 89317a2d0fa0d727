"""`newsworker reindex`: rebuild the store as a new generation, or roll back to the last one."""

from __future__ import annotations

import sys
import time

import click

from .. import locks
from .. import reindex as reindexing
from ..celery_app import create_app
from ..errors import LockUnavailableError
from ..extract import EXTRACTOR_VERSION
from ..reindex.progress import RunProgress
from ..tasks import REINDEX, eager_progress
from .common import Context, emit_json, guard, pass_context

POLL_SECONDS = 0.5


@click.command()
@click.option("--wait/--no-wait", default=False,
              help="With a broker: follow the job with a progress bar and print its report (in process it always waits).")
@click.option("--dry-run", is_flag=True, help="Print what would happen now (generations, counts, lock); change nothing.")
@click.option("--rollback", is_flag=True, help="Point the store back at the generation the last reindex replaced.")
@click.option("--resume", is_flag=True,
              help="Finish a reindex whose coordinator stopped (killed, or a chunk gave up): send every chunk not "
                   "recorded as done (also those it never sent), then verify and swap.")
@click.option("--timeout", default=24 * 3600.0, show_default=True, help="Seconds to wait for the job with --wait.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan or report as JSON.")
@pass_context
@guard
def reindex(ctx: Context, wait: bool, dry_run: bool, rollback: bool, resume: bool, timeout: float, as_json: bool) -> None:
    """Rebuild the store from its stored text with the current extractor and mappings.

    \b
    A reindex job:
      1. takes the store's lock in Redis (NEWSWORKER_REDIS_URL); a second reindex is refused
      2. creates the next generation (SQLite: newsworker.vN.db beside the store file;
         Elasticsearch: index <prefix>-articles-vN from the current templates) and marks
         it as building: from then on every write (ingest, feeds, near-copy links) lands
         in the live generation and then in it too, so nothing written meanwhile is lost
      3. cuts the live generation into chunks (NEWSWORKER_REINDEX_CHUNK_SIZE articles)
         and sends each to NEWSWORKER_REINDEX_QUEUE, where workers re-extract them side
         by side (without a broker: here, one after another); done chunks are recorded
         in Redis, and progress is their sum (articles/s, time left)
      4. verifies by id that every live article is in it (those that fail re-extraction
         are listed, not hidden)
      5. swaps the read and write aliases (SQLite: the generation pointer) in one step
         and rebuilds the events rollup
    The replaced generation is kept: --rollback restores it. With a broker the job
    holds one worker slot while it waits for its chunks: run two worker processes or more.
    A job whose coordinator died (or whose chunk gave up) is finished by --resume,
    which sends the chunks not done (also those never sent), none already done.
    Articles ingested after the swap are in the new generation only: after
    --rollback, ingest them again.

    \b
    Examples:
      newsworker reindex --dry-run
      newsworker reindex --wait
      newsworker reindex --resume --wait
      newsworker reindex --rollback
    """
    if dry_run:
        _dry_run(ctx, rollback, as_json)
        return
    settings = ctx.settings
    _refuse_if_busy(settings)
    app = create_app(settings)
    task = app.tasks[REINDEX]
    what = "Rollback" if rollback else "Reindex"
    if settings.eager:
        click.echo(f"Running in process: no broker configured (NEWSWORKER_BROKER_URL); store {settings.store}.", err=True)
        with _Progress(what) as bar:
            token = eager_progress.set(bar.update)
            try:
                data = task.apply(kwargs={"rollback": rollback, "resume": resume}, throw=True).get()
            finally:
                eager_progress.reset(token)
    else:
        result = task.apply_async(kwargs={"rollback": rollback, "resume": resume})
        click.echo(f"Enqueued {what.lower()} task {result.id} on {ctx.mode()}.", err=True)
        if not wait:
            if as_json:
                emit_json({"enqueued": result.id})
            else:
                click.echo(result.id)
            return
        data = _follow(result, what, timeout)
    _print_report(data, rollback, as_json)


def _refuse_if_busy(settings) -> None:
    """Say who holds the lock before enqueueing anything; the job checks again when it starts."""
    client = locks.connect(settings.lock_url)
    try:
        lock = locks.StoreLock(client, locks.reindex_lock_name(settings))
        if lock.holder() is not None:
            raise lock.busy_error()
    finally:
        client.close()


def _follow(result, what: str, timeout: float) -> dict:
    """Poll the task's PROGRESS state into a progress bar until it finishes."""
    deadline = time.monotonic() + timeout
    with _Progress(what) as bar:
        while not result.ready():
            if time.monotonic() > deadline:
                raise click.ClickException(f"gave up waiting after {timeout:.0f} s; task {result.id} is still running")
            if result.state == "PROGRESS" and isinstance(result.info, dict):
                bar.update(_as_progress(result.info))
            time.sleep(POLL_SECONDS)
    return result.get(timeout=max(deadline - time.monotonic(), 1.0))


def _as_progress(info: dict) -> RunProgress:
    """The task's PROGRESS meta; an older worker's {done, total} still draws the bar."""
    try:
        return RunProgress.model_validate(info)
    except ValueError:
        done, total = int(info.get("done", 0)), int(info.get("total", 0))
        return RunProgress(run_id="", target_version=0, done=done, total=total, chunks_done=0, chunks_total=0,
                           articles_per_second=None, eta_seconds=None)


class _Progress:
    """A click progress bar on a terminal; on a pipe or log, a line per update instead."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.tty = sys.stderr.isatty()
        self.last: tuple[int, int] | None = None

    def update(self, progress: RunProgress) -> None:
        done, total = progress.done, progress.total
        if (done, total) == self.last:
            return
        self.last = (done, total)
        if not self.tty:
            rate = f", {progress.articles_per_second:.1f} articles/s" if progress.articles_per_second else ""
            eta = f", about {progress.eta_seconds:.0f} s left" if progress.eta_seconds is not None else ""
            chunks = f", {progress.chunks_done}/{progress.chunks_total} chunks" if progress.chunks_total else ""
            click.echo(f"{self.label}: {done}/{total} articles{chunks}{rate}{eta}", err=True)
            return
        if self.bar is None:
            self.bar = click.progressbar(length=max(total, 1), label=self.label, file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        self.bar.length = max(total, done, 1)
        self.bar.update(done - self.bar.pos)

    def __enter__(self) -> "_Progress":
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _dry_run(ctx: Context, rollback: bool, as_json: bool) -> None:
    settings = ctx.settings
    plan = reindexing.plan(ctx.runtime.store, EXTRACTOR_VERSION)
    lock = _lock_state(settings)
    if as_json:
        emit_json({"dry_run": True, "action": "rollback" if rollback else "reindex",
                   "plan": plan.model_dump(mode="json"), "lock": lock})
        return
    click.echo("Dry run: nothing was changed.")
    click.echo(_describe_generations(plan))
    if rollback:
        if plan.previous is None:
            click.echo("A rollback would fail: there is no previous generation to return to.")
        else:
            click.echo(f"A rollback would make v{plan.previous.version} ({plan.previous.name}, "
                       f"{plan.previous.articles} articles) live again; v{plan.live.version if plan.live else '?'} stays kept.")
    elif plan.live is None:
        click.echo("A reindex would fail: nothing is live yet (ingest first).")
    else:
        click.echo(f"A reindex would create v{plan.next_version}, re-extract the {plan.articles} live articles "
                   f"with extractor {plan.extractor_version}, verify the count, swap v{plan.next_version} in "
                   f"and keep v{plan.live.version} for --rollback.")
    click.echo(f"Lock {lock['name']}: {lock['state']}.")


def _lock_state(settings) -> dict:
    name = locks.reindex_lock_name(settings)
    try:
        client = locks.connect(settings.lock_url)
    except LockUnavailableError as exc:
        return {"name": name, "holder": None, "state": f"cannot be checked, so a real run would refuse: {exc}"}
    try:
        holder = locks.StoreLock(client, name).holder()
    finally:
        client.close()
    state = f"held by {holder.describe()}, a real run would be refused" if holder else "free"
    return {"name": name, "holder": holder.model_dump(mode="json") if holder else None, "state": state}


def _describe_generations(plan: reindexing.ReindexPlan) -> str:
    if plan.live is None:
        return f"Store {plan.store}: no live generation."
    previous = f"v{plan.previous.version} ({plan.previous.articles} articles)" if plan.previous else "none"
    kept = ", ".join(f"v{v.version}" for v in plan.kept) or "none"
    return (f"Store {plan.store}: live v{plan.live.version} {plan.live.name} with {plan.live.articles} articles; "
            f"previous {previous}; kept {kept}.")


def _print_report(data: dict, rollback: bool, as_json: bool) -> None:
    if as_json:
        emit_json(data)
        return
    if rollback:
        r = reindexing.RollbackReport.model_validate(data)
        click.echo(f"Rolled back the {r.store} store: v{r.from_version} -> v{r.to_version} ({r.to_name}), "
                   f"{r.articles} articles live. v{r.from_version} is kept.")
        return
    r = reindexing.ReindexReport.model_validate(data)
    click.echo(f"Reindexed the {r.store} store: v{r.from_version} -> v{r.to_version} ({r.to_name}), "
               f"{r.articles} of {r.read} articles re-extracted with extractor {r.extractor_version}, "
               f"{len(r.failed)} failed, in {r.seconds:.1f} s ({r.chunks} chunks; {r.live_articles} articles live, "
               "those written meanwhile included).")
    for failure in r.failed:
        click.echo(f"  failed: {failure.id} ({failure.origin or 'no origin'}): {failure.reason} "
                   f"[left out of v{r.to_version}; still in v{r.from_version}]")
    click.echo(f"v{r.from_version} ({r.from_name}) is kept: `newsworker reindex --rollback` makes it live again.")
