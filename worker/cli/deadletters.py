"""`newsworker dead-letters`: the batches parked because the store stayed unavailable."""

from __future__ import annotations

import sys

import click

from ..celery_app import create_app
from ..deadletters import DeadLetter, DeadLetterBox, replay
from .common import Context, emit_json, guard, pass_context


@click.group("dead-letters")
def dead_letters() -> None:
    """Batches that could not be indexed at all, parked to be replayed.

    A batch is parked when the store stayed unavailable through every retry
    (NEWSWORKER_TASK_MAX_RETRIES), or, with a broker, when its task failed outright.
    They are kept in Redis (NEWSWORKER_REDIS_URL, else the broker's), per queue.
    """


@dead_letters.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the letters as JSON, with their task arguments.")
@pass_context
@guard
def list_letters(ctx: Context, as_json: bool) -> None:
    """Every dead letter, oldest first: id, task, documents, attempts, when and why it failed."""
    with DeadLetterBox.open(ctx.settings) as box:
        letters = box.all()
    if as_json:
        emit_json([letter.model_dump(mode="json") for letter in letters])
    elif not letters:
        click.echo(f"No dead letters (queue {ctx.settings.queue}).")
    else:
        click.echo("\n".join(letter.line() for letter in letters))
        click.echo(f"{len(letters)} dead letter(s); `newsworker dead-letters retry --all` replays them.")


@dead_letters.command()
@click.argument("ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Replay every dead letter.")
@click.option("--json", "as_json", is_flag=True, help="Print what each replay did as JSON.")
@pass_context
@guard
def retry(ctx: Context, ids: tuple[str, ...], every: bool, as_json: bool) -> None:
    """Replay dead letters: with a broker, send them to the workers again; without one, run them here.

    A letter is removed once it is re-queued (or, run here, once indexed); if it fails
    again it stays, or is parked again with its new reason. Exits non-zero if any did.
    """
    if bool(ids) == every:
        raise click.UsageError("give the ids of the dead letters to replay, or --all")
    settings = ctx.settings
    with DeadLetterBox.open(settings) as box:
        letters = box.all() if every else _named(box, ids)
        if not letters:
            click.echo("No dead letters to replay.", err=True)
            return
        if settings.eager:
            click.echo("Running in process: no broker configured (NEWSWORKER_BROKER_URL).", err=True)
        app = create_app(ctx.local_settings)  # in process, what the operator can read here
        replays = [replay(app, box, letter, in_process=settings.eager) for letter in letters]
    if as_json:
        emit_json([r.model_dump(mode="json") for r in replays])
    else:
        for r in replays:
            detail = f" ({r.detail})" if r.detail else ""
            task = f" as task {r.task_id}" if r.outcome == "queued" else ""
            click.echo(f"{r.id}: {r.outcome.replace('_', ' ')}{task}{detail}")
    if any(r.outcome in ("failed", "parked_again") for r in replays):
        sys.exit(1)


@dead_letters.command()
@click.argument("ids", nargs=-1, required=True)
@pass_context
@guard
def drop(ctx: Context, ids: tuple[str, ...]) -> None:
    """Delete dead letters without replaying them: their documents stay unindexed."""
    with DeadLetterBox.open(ctx.settings) as box:
        for letter in _named(box, ids):
            box.drop(letter.id)
            click.echo(f"dropped {letter.id} ({letter.task}, {letter.documents} document(s))")


def _named(box: DeadLetterBox, ids: tuple[str, ...]) -> list[DeadLetter]:
    """The letters asked for; any unknown id refuses the whole command, before anything is done."""
    found = {i: box.get(i) for i in dict.fromkeys(ids)}
    missing = [i for i, letter in found.items() if letter is None]
    if missing:
        raise click.ClickException(f"no dead letter {', '.join(missing)} in {box.key}; `newsworker dead-letters list` shows them")
    return [letter for letter in found.values() if letter is not None]
