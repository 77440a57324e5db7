"""Operators get JSON logs without personal data and Prometheus metrics from every service."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timedelta

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event

from services.registration.participant.api import registrations as registrations_api
from shared.observability import AddressFreeJsonFormatter, without_addresses
from tests.registration.helpers import registration_body
from tests.support.servers import (
    ManagedProcess,
    free_port,
    running,
    service_environment,
    wait_for_http,
)


def samples(response) -> dict[tuple[str, tuple], float]:
    """Every sample of a /metrics answer, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def request_lines(stderr: str) -> list[dict]:
    """The request log lines among what a service wrote to stderr."""
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "atelier.requests"]


def test_request_logs_name_routes_and_never_people_or_tokens(client, make, caplog, capsys):
    group = make.group()
    body = registration_body(group.slug, first_name="Olena", email="olena.k@example.org")

    with caplog.at_level(logging.INFO):
        created = client.post(f"/api/v1/events/{group.event.slug}/registrations", json=body)
        token, created_id = created.json["manage_token"], created.json["id"]
        client.get(f"/api/v1/registrations/{token}")

    request_logs = request_lines(capsys.readouterr().err)
    assert [(line["method"], line["route"], line["status"]) for line in request_logs] == [
        ("POST", "/api/v1/events/<event_slug>/registrations", 201),
        ("GET", "/api/v1/registrations/<manage_token>", 200),
    ]
    logged = json.dumps(request_logs) + " ".join(str(r.__dict__) for r in caplog.records)
    for secret in ("Olena", "olena.k@example.org", token):
        assert secret not in logged
    [created] = [r for r in caplog.records if r.getMessage() == "registration created"]
    assert (created.registration_id, created.status) == (created_id, "confirmed")


def test_request_lines_have_the_shape_of_every_log_line_and_obey_its_level(client, capsys):
    client.get("/livez")
    [line] = request_lines(capsys.readouterr().err)
    assert list(line) == [
        "time", "level", "logger", "message", "service", "method", "route", "status",
        "duration_ms",
    ]  # fmt: skip
    assert (line["level"], line["message"], line["service"]) == (
        "INFO",
        "request",
        "services.registration",
    )
    written = datetime.strptime(line["time"], "%Y-%m-%d %H:%M:%S,%f")
    assert abs(written - datetime.now()) < timedelta(minutes=1)
    assert 0 < line["duration_ms"] < 60_000

    requests_logger = logging.getLogger("atelier.requests")
    level = requests_logger.level
    requests_logger.setLevel(logging.WARNING)
    try:
        client.get("/livez")
    finally:
        requests_logger.setLevel(level)
    assert request_lines(capsys.readouterr().err) == []


def test_metrics_count_requests_by_route_and_registrations_by_status(client, make):
    group = make.group(capacity=1)
    for _ in range(2):
        client.post(
            f"/api/v1/events/{group.event.slug}/registrations",
            json=registration_body(group.slug),
        )

    response = client.get("/metrics")

    assert response.status_code == 200
    figures = samples(response)
    assert figures[("atelier_registrations", (("status", "confirmed"),))] == 1
    assert figures[("atelier_registrations", (("status", "waitlisted"),))] == 1
    posted = [
        value
        for (name, labels), value in figures.items()
        if name == "atelier_http_requests_total"
        and ("route", "/api/v1/events/<event_slug>/registrations") in labels
        and ("status", "201") in labels
    ]
    assert posted and posted[0] >= 2


def test_scrapes_in_a_row_count_the_database_once(app, client, make):
    group = make.group(capacity=5)
    client.post(
        f"/api/v1/events/{group.event.slug}/registrations", json=registration_body(group.slug)
    )
    statements = []
    engine = app.extensions["database"].engine

    def counted(*_args: object) -> None:
        statements.append(1)

    first = samples(client.get("/metrics"))
    client.post(
        f"/api/v1/events/{group.event.slug}/registrations", json=registration_body(group.slug)
    )
    event.listen(engine, "before_cursor_execute", counted)
    try:
        again = [samples(client.get("/metrics")) for _ in range(20)]
    finally:
        event.remove(engine, "before_cursor_execute", counted)

    confirmed = ("atelier_registrations", (("status", "confirmed"),))
    assert first[confirmed] == 1
    assert {scrape[confirmed] for scrape in again} == {1}  # the figures of the first scrape
    assert statements == []


def test_metrics_time_the_group_lock_of_each_registration_until_it_ends(client, make):
    group = make.group(capacity=1)
    url = f"/api/v1/events/{group.event.slug}/registrations"
    held = ("atelier_group_lock_held_seconds_count", ())
    waited = ("atelier_group_lock_wait_seconds_count", ())
    before = samples(client.get("/metrics"))

    first = registration_body(group.slug)
    statuses = [
        client.post(url, json=first).status_code,  # confirmed
        client.post(url, json=registration_body(group.slug)).status_code,  # waitlisted
        # Refused under the lock, the transaction rolled back: the lock was held all the same.
        client.post(url, json={**first, "last_name": "Again"}).status_code,
        # Refused by validation, before any lock.
        client.post(url, json={**registration_body(group.slug), "consent": False}).status_code,
    ]

    after = samples(client.get("/metrics"))
    assert statuses == [201, 201, 409, 422]
    assert after[held] - before.get(held, 0) == 3
    assert after[waited] - before.get(waited, 0) == 3
    assert after[("atelier_group_lock_held_seconds_sum", ())] > before.get(
        ("atelier_group_lock_held_seconds_sum", ()), 0
    )


@pytest.mark.slow
def test_metrics_add_up_every_gunicorn_worker(base_config, tmp_path):
    port = free_port()
    env = service_environment(
        DATABASE_URL=base_config["DATABASE_URL"],
        REDIS_URL=base_config["REDIS_URL"],
        WEB_CONCURRENCY="3",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "services.calendar:create_app()",
    ]
    with running(ManagedProcess(command, tmp_path / "gunicorn.log", env)):
        base_url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base_url}/livez")
        for _ in range(30):
            requests.get(f"{base_url}/livez", timeout=10)  # a new connection, any worker
        text = requests.get(f"{base_url}/metrics", timeout=10).text

    counted = sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "atelier_http_requests_total" and sample.labels["route"] == "/livez"
    )
    assert counted >= 30  # wait_for_http's own requests may add to it


@pytest.mark.slow
def test_gunicorn_logs_each_request_by_route_never_its_token(base_config, tmp_path):
    port = free_port()
    env = service_environment(
        DATABASE_URL=base_config["DATABASE_URL"], REDIS_URL=base_config["REDIS_URL"]
    )
    command = [
        *(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"),
        *("--bind", f"127.0.0.1:{port}", "services.calendar:create_app()"),
    ]
    token = "Zk3tQ9-unknown-calendar-token-8Yw"
    process = ManagedProcess(command, tmp_path / "gunicorn.log", env)
    with running(process):
        base_url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base_url}/livez")
        answered = requests.get(f"{base_url}/feeds/personal/{token}.ics", timeout=10)
    logged = process.log()

    assert answered.status_code == 404
    assert '"route": "/feeds/personal/<token>.ics"' in logged
    assert token not in logged


def test_a_crash_is_logged_by_its_route_never_its_token(app, client, caplog, monkeypatch):
    token = "Qv7xManageTokenOfSomeone2Lk"

    def crash(*_args: object) -> None:
        raise RuntimeError("the view broke")

    monkeypatch.setattr(registrations_api, "registration_by_token", crash)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answered as in production, not raised

    with caplog.at_level(logging.ERROR):
        response = client.get(f"/api/v1/registrations/{token}")

    assert response.status_code == 500
    assert response.json["code"] == "internal_server_error"
    [crash_log] = [record for record in caplog.records if record.exc_info]
    assert crash_log.getMessage() == "Exception on /api/v1/registrations/<manage_token> [GET]"
    assert token not in caplog.text


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            "SMTPRecipientsRefused: {'olena.k@example.org': (550, b'<olena.k@example.org>')}",
            "SMTPRecipientsRefused: {'…@example.org': (550, b'<…@example.org>')}",
        ),
        ("to Olena Koval <olena+news@mail.example.ua>", "to Olena Koval <…@mail.example.ua>"),
        ("redis://:secret@127.0.0.1:6379/0", "redis://:…@127.0.0.1:6379/0"),
        ("nothing to hide", "nothing to hide"),
    ],
)
def test_addresses_are_blanked_out_keeping_their_domain(text, redacted):
    assert without_addresses(text) == redacted


def test_no_log_line_carries_an_address_whole():
    formatter = AddressFreeJsonFormatter("%(message)s")
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, "refused %s", ("a.b@c.org",), None
    )

    line = json.loads(formatter.format(record))

    assert line["message"] == "refused …@c.org"
