"""A read-only ``var/`` (a read-only mount, a folder the user cannot write): reading commands
work, writing ones say what is wrong at once, and nothing prints a traceback.

Root ignores file modes, so as root the data folder is a tmpfs remounted read-only (skipped
where mounting is not allowed); as anyone else, its modes are taken away."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SEED, SEEDS

pytestmark = pytest.mark.integration


class ReadOnlyFolder:
    def __init__(self, path: Path):
        self.path = path
        self.mounted = False

    def __enter__(self) -> "ReadOnlyFolder":
        self.path.mkdir(parents=True)
        if os.geteuid() == 0:
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(self.path)], capture_output=True)
            if done.returncode:
                pytest.skip(f"as root a read-only folder needs a mount, refused here: {done.stderr.decode().strip()}")
            self.mounted = True
        return self

    def freeze(self) -> None:
        if self.mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True)
        else:
            for folder, _, files in os.walk(self.path):
                for name in files:
                    os.chmod(Path(folder) / name, stat.S_IRUSR)
                os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)

    def __exit__(self, *exc) -> None:
        if self.mounted:
            # Lazily: this process still holds the read-only store open.
            subprocess.run(["umount", "-l", str(self.path)], check=False)
        else:
            for folder, _, _ in os.walk(self.path):
                os.chmod(folder, stat.S_IRWXU)


def test_with_var_read_only_search_lists_and_status_work_and_writes_say_why(env_settings, tmp_path, monkeypatch):
    from worker.cli.main import cli

    env_settings()
    monkeypatch.setenv("NEWSWORKER_DATA_DIR", str(tmp_path / "var"))
    shutil.copy(SEED, tmp_path / "seed.txt")
    shutil.copy(SEEDS / "feed.xml", tmp_path / "feed.xml")
    other = tmp_path / "other.txt"
    other.write_text(SEED.read_text(encoding="utf-8").replace("2,500", "2,600").replace("Iraq", "Syria"), encoding="utf-8")
    runner = CliRunner()
    with ReadOnlyFolder(tmp_path / "var") as var:
        # In a process of their own: files this one kept open for writing would keep the mount busy.
        exe = str(Path(sys.executable).with_name("newsworker"))
        for args in (["ingest", str(tmp_path / "seed.txt")], ["feeds", "add", f"file://{tmp_path / 'feed.xml'}"]):
            done = subprocess.run([exe, *args], capture_output=True, text=True, env=dict(os.environ), cwd=tmp_path)
            assert done.returncode == 0, done.stderr
        var.freeze()
        with pytest.raises(OSError):
            (tmp_path / "var" / "probe").write_text("x")

        found = runner.invoke(cli, ["search", "troop drawdown", "--json"])
        assert found.exit_code == 0, found.output
        assert json.loads(found.stdout)["total"] == 1
        events = runner.invoke(cli, ["events", "--json", "--size", "3"])
        assert events.exit_code == 0 and json.loads(events.stdout), events.output
        listed = runner.invoke(cli, ["feeds", "list"])
        assert listed.exit_code == 0 and f"file://{tmp_path / 'feed.xml'}" in listed.output, listed.output
        status = runner.invoke(cli, ["status", "--json"])
        assert status.exit_code == 0, status.output
        assert json.loads(status.stdout)["store"]["articles"] == 1

        ingest = runner.invoke(cli, ["ingest", str(other), "--json"])
        report = json.loads(ingest.stdout)
        assert ingest.exit_code == 1 and not report["indexed"]
        assert "is read-only here" in report["failed"][0]["reason"] and "NEWSWORKER_DATA_DIR" in report["failed"][0]["reason"]

        poll = runner.invoke(cli, ["feeds", "poll"])
        assert poll.exit_code == 1 and "is read-only here" in poll.output, poll.output
        assert isinstance(poll.exception, SystemExit)  # a ClickException's exit, not a crash
