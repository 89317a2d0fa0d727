"""A writer process for the reindex tests: `python ingest_writer.py`, one folder per stdin line.

Each folder is ingested by the CLI's own command, `newsworker ingest FOLDER --json`, run in
this process (no broker), and answered with one JSON line on stdout: the command's exit
code and output. One process for the whole test, so the spaCy model is loaded once rather
than once per batch, which on a two-core machine would take a core from the workers the
whole time. Closing stdin ends it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from click.testing import CliRunner  # noqa: E402

from worker.cli.main import cli  # noqa: E402


def main() -> None:
    runner = CliRunner()
    for line in sys.stdin:
        result = runner.invoke(cli, ["ingest", line.strip(), "--json"])
        print(json.dumps({"code": result.exit_code, "stdout": result.stdout, "stderr": result.stderr[-2000:]}), flush=True)


if __name__ == "__main__":
    main()
