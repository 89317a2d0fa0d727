"""Article URLs and sitemap pages through a real Celery worker and the real Redis: tasks of N URLs."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from tests.celeryproc import WorkerProcess
from tests.httpserver import Reply
from tests.pages import article_html, clear_robots, urlset

pytestmark = pytest.mark.integration

HTML = {"Content-Type": "text/html"}


@pytest.fixture
def worker_env(broker_env, server, monkeypatch, tmp_path):
    env = {**broker_env, "NEWSWORKER_FETCH__ALLOW_PRIVATE": '["127.0.0.1/32"]', "NEWSWORKER_PAGES__URLS_PER_TASK": "2"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    clear_robots(server.base)
    server.serve("/robots.txt", Reply(404))
    worker = WorkerProcess(env, tmp_path, tmp_path / "worker.log").start()
    yield worker
    worker.stop()


def test_urls_fan_out_as_tasks_of_n_and_sitemap_pages_go_to_the_workers(worker_env, server, tmp_path):
    from worker.cli.main import cli

    urls = [server.serve(f"/s{n}", Reply(200, article_html(f"Story {n} from the wire", n=1000 * n), HTML)) for n in range(1, 4)]
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", *urls, "--wait", "--timeout", "180", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output + worker_env.tail()
    assert "Enqueued 3 URLs in 2 tasks" in result.stderr
    assert {o["origin"] for o in json.loads(result.stdout)["indexed"]} == set(urls)

    server.serve("/sitemap.xml", Reply(200, urlset([{"loc": server.url("/s1")}, {"loc": server.url("/s4")}])))
    server.serve("/s4", Reply(200, article_html("Story 4 from the wire", n=4000), HTML))
    assert runner.invoke(cli, ["sitemaps", "add", server.url("/sitemap.xml")]).exit_code == 0
    polled = runner.invoke(cli, ["sitemaps", "poll", "--all"], catch_exceptions=False)
    assert "2 new or changed: queued for the workers" in polled.stdout, polled.output
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(server.hits("/s4")) < 1:
        time.sleep(0.3)
    assert len(server.hits("/s4")) == 1, worker_env.tail()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = json.loads(runner.invoke(cli, ["status", "--json"]).stdout)
        if status["store"]["articles"] == 4:
            break
        time.sleep(0.3)
    assert status["store"]["articles"] == 4
