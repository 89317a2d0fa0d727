"""Files still being written, sidecars as hostile as documents, and FIFOs where a file is
expected (issue 18, items 9, 18, 19): a typed failure naming the file, never a hang or a
half-stored article, and the rest of the batch indexed."""

from __future__ import annotations

import json
import os
import threading

from click.testing import CliRunner

from tests.conftest import SEED
from worker.cli.main import cli
from worker.sources import local
from worker.sources.files import read_file
from worker.sources.metadata import Overrides

ARTICLE = "Troops leave the base\n\nA standfirst line.\n\nThe last 300 troops left the base on Friday, officials said.\n"


def failures(path, **kw):
    return [r for r in read_file(path, Overrides(), 1 << 20, roots=[path.parent], **kw) if hasattr(r, "reason")]


def test_a_file_modified_moments_ago_is_refused_until_it_settles(tmp_path):
    path = tmp_path / "fresh.txt"
    path.write_text(ARTICLE)
    [refused] = failures(path, settle_seconds=30)
    assert refused.origin == str(path) and "still being written" in refused.reason
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime - 60))
    assert failures(path, settle_seconds=30) == []


def test_a_file_that_changes_while_read_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "growing.txt"
    path.write_text(ARTICLE)
    real, calls = os.fstat, []

    def growing(fd):  # the writer appends between our two looks
        info = real(fd)
        calls.append(fd)
        if len(calls) == 2:
            return os.stat_result((info.st_mode, info.st_ino, info.st_dev, info.st_nlink, info.st_uid, info.st_gid,
                                   info.st_size + 100, info.st_atime, info.st_mtime, info.st_ctime))
        return info

    monkeypatch.setattr(local.os, "fstat", growing)
    [refused] = failures(path)
    assert "changed while it was read" in refused.reason


def test_sidecars_have_the_documents_limits(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE)
    cases = {
        "deep.txt": "[" * 100_000 + "]" * 100_000,
        "digits.txt": '{"source": ' + "9" * 5000 + "}",
        "huge.txt": json.dumps({"source": "x" * (2 << 20)}),
    }
    for name, sidecar in cases.items():
        (tmp_path / name).write_text(ARTICLE)
        (tmp_path / f"{name}.meta.json").write_text(sidecar)
    reasons = {}
    for name in cases:
        [failure] = failures(tmp_path / name)
        reasons[name] = failure.reason
        assert failure.origin == str(tmp_path / f"{name}.meta.json")
    assert "nested too deeply" in reasons["deep.txt"]
    assert "4300 digits" in reasons["digits.txt"]
    assert "byte limit" in reasons["huge.txt"]
    assert failures(good) == []


def test_extract_refuses_a_fifo_at_once(env_settings, tmp_path):
    env_settings()
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    result: list = []
    runner = threading.Thread(target=lambda: result.append(CliRunner().invoke(cli, ["extract", str(fifo), "--json"])),
                              daemon=True)
    runner.start()
    runner.join(20)
    assert not runner.is_alive(), "extract hung on a FIFO"
    assert result[0].exit_code == 1 and "not a regular file (a FIFO)" in result[0].output


def test_a_batch_with_an_unfinished_file_indexes_the_rest(env_settings, tmp_path, monkeypatch):
    env_settings()
    monkeypatch.setenv("NEWSWORKER_SETTLE_SECONDS", "30")
    inbox = tmp_path / "drop"
    inbox.mkdir()
    old = inbox / "done.txt"
    old.write_bytes(SEED.read_bytes())
    os.utime(old, (old.stat().st_atime, old.stat().st_mtime - 60))
    (inbox / "fresh.txt").write_text(ARTICLE)

    report = json.loads(CliRunner().invoke(cli, ["ingest", str(inbox), "--json"]).stdout)

    assert len(report["indexed"]) == 1
    assert [f["origin"] for f in report["failed"]] == [str(inbox / "fresh.txt")]


def test_ingest_wait_with_no_worker_says_so_at_once(broker_env, tmp_path):
    """Issue 18 item 19: with a broker and no worker, --wait waited its whole timeout (1 h)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text(ARTICLE)
    result = CliRunner().invoke(cli, ["ingest", str(inbox), "--wait", "--timeout", "600", "--worker-grace", "2"])
    assert result.exit_code == 1
    assert f"no worker answers on queue {broker_env['NEWSWORKER_QUEUE']}" in result.output
    assert "Traceback" not in result.output


def test_ingest_with_the_broker_down_is_one_clear_line(broker_env, tmp_path, monkeypatch):
    """Issue 18 item 19: Redis down gave chained tracebacks."""
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("NEWSWORKER_BROKER_URL", f"redis://127.0.0.1:{port}/0")
    (tmp_path / "a.txt").write_text(ARTICLE)
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "a.txt")])
    assert result.exit_code == 1
    assert "cannot reach the broker" in result.output and "NEWSWORKER_BROKER_URL" in result.output
