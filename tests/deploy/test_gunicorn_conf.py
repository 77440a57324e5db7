"""gunicorn.conf.py: how many processes each web service runs."""

from __future__ import annotations

import os

import pytest
from gunicorn.workers.gthread import ThreadWorker

from shared.gunicorn_worker import JsonErrorWorker
from tests.deploy.stack import gunicorn_settings


def test_two_workers_per_core_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert gunicorn_settings()["workers"] == 2 * len(os.sched_getaffinity(0))


def test_web_concurrency_sets_the_number_of_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    assert gunicorn_settings()["workers"] == 7


def test_workers_serve_several_requests_each_and_log_errors_to_the_console(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    settings = gunicorn_settings()
    assert settings["worker_class"] == "shared.gunicorn_worker.JsonErrorWorker"
    assert issubclass(JsonErrorWorker, ThreadWorker) and settings["threads"] > 1
    assert settings["errorlog"] == "-"
    assert settings["accesslog"] is None  # it would print tokens: the services log requests


def test_workers_share_a_metrics_folder_named_before_they_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    settings = gunicorn_settings()
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ, "importing the settings changes nothing"

    try:
        settings["on_starting"](None)

        assert os.path.isdir(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    finally:  # leave this process's environment as it was
        folder = os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if folder:
            os.rmdir(folder)


def test_fewer_workers_serve_as_many_requests_at_once_with_more_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    default = gunicorn_settings()
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    small = gunicorn_settings()

    assert small["workers"] == 1
    assert small["threads"] == default["workers"] * default["threads"]
