"""docker-compose.yml: the production stack, checked without a Docker engine."""

from __future__ import annotations

import importlib
import importlib.util
import os
import socket
import subprocess
import sys
from typing import Any

import jsonschema
import pytest
from celery import Celery
from celery.app.utils import find_app
from celery.beat import beat_nodename
from celery.worker.control import Panel

from shared.queue import HOUSEKEEPING_QUEUE, MAIL_QUEUE
from tests.deploy.stack import (
    ENV_EXAMPLE,
    GUNICORN_CONF,
    ROOT,
    StackCommand,
    atelier_services,
    command_argv,
    compose_variables,
    documented_settings,
    environment_reads,
    gunicorn_settings,
    healthcheck_argv,
    load_compose,
    load_compose_schema,
    modules_run,
    parse_celery,
    shipped_python_files,
    stack_commands,
)
from tests.support.servers import read_env_file

WEB_SERVICES = ("registration", "notifications", "calendar")
WORKERS = {"worker": [MAIL_QUEUE], "housekeeping": [HOUSEKEEPING_QUEUE]}
EXPECTED_SERVICES = {"postgres", "redis", "migrate", *WEB_SERVICES, *WORKERS, "beat"}
# Runs to completion and exits; the services after it wait for its success instead.
ONE_SHOT_SERVICES = {"migrate"}
CONTAINER_PORT = 8000

COMPOSE = load_compose()
COMMANDS = stack_commands(COMPOSE)


def commands_of(program: str) -> list[StackCommand]:
    """The stack's command lines that run ``program``."""
    return [command for command in COMMANDS if command.program == program]


def ids(commands: list[StackCommand]) -> list[str]:
    """Readable test ids: where each command line comes from."""
    return [command.origin for command in commands]


def depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A service's depends_on in its long form."""
    dependencies = service.get("depends_on", {})
    if isinstance(dependencies, list):
        return {name: {"condition": "service_started"} for name in dependencies}
    return dependencies


def test_compose_file_follows_the_compose_specification() -> None:
    jsonschema.Draft7Validator(load_compose_schema()).validate(COMPOSE)


def test_schema_check_rejects_a_misspelt_service_key() -> None:
    broken = {"services": {"web": {"image": "atelier", "healthchek": {"test": ["NONE"]}}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(load_compose_schema()).validate(broken)


def test_stack_runs_databases_migrations_web_services_workers_and_one_scheduler() -> None:
    assert set(COMPOSE["services"]) == EXPECTED_SERVICES


@pytest.mark.parametrize("name", sorted(EXPECTED_SERVICES - ONE_SHOT_SERVICES))
def test_every_long_running_service_has_a_healthcheck(name: str) -> None:
    healthcheck = COMPOSE["services"][name].get("healthcheck", {})
    assert not healthcheck.get("disable", False)
    assert healthcheck.get("test", ["NONE"])[0] in ("CMD", "CMD-SHELL")
    assert healthcheck.get("interval") and healthcheck.get("retries")


def test_migrations_run_once_before_any_service_uses_the_database() -> None:
    services = atelier_services(COMPOSE)
    migrate = services["migrate"]
    assert command_argv(migrate["command"]) == ["python", "-m", "shared.migrate"]
    assert migrate["restart"] == "no"
    assert depends_on(migrate)["postgres"]["condition"] == "service_healthy"
    for name, service in services.items():
        if name not in ONE_SHOT_SERVICES:
            after_migrate = depends_on(service).get("migrate", {})
            assert after_migrate.get("condition") == "service_completed_successfully", name


@pytest.mark.parametrize("name", WEB_SERVICES)
def test_web_service_runs_its_app_factory_under_gunicorn_with_the_config_file(name: str) -> None:
    service = COMPOSE["services"][name]
    assert command_argv(service["command"]) == [
        "gunicorn",
        "-c",
        GUNICORN_CONF.name,
        f"services.{name}:create_app()",
    ]
    assert healthcheck_argv(service["healthcheck"]["test"]) == [
        "python",
        "-m",
        "shared.probe",
        f"http://127.0.0.1:{CONTAINER_PORT}/healthz",
    ]
    # Only the reverse proxy on the same machine reaches the services.
    (published,) = service["ports"]
    host_address, _, host_port_and_target = published.partition(":")
    container_port = host_port_and_target.rpartition(":")[2]
    assert host_address == "127.0.0.1"
    assert int(container_port) == CONTAINER_PORT


def test_gunicorn_listens_where_compose_publishes_and_probes() -> None:
    assert gunicorn_settings()["bind"] == [f"0.0.0.0:{CONTAINER_PORT}"]


@pytest.mark.parametrize("command", commands_of("gunicorn"), ids=ids(commands_of("gunicorn")))
def test_web_command_loads_its_app_with_the_example_settings(command: StackCommand) -> None:
    """gunicorn --check-config reads the config file and builds the app, then exits."""
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        **read_env_file(ENV_EXAMPLE),
        # The one value the administrator must fill in; the rest is .env.example as it stands.
        "SECRET_KEY": "a-private-random-value-for-this-check",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", *command.argv[1:], "--check-config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


MODULES = modules_run(COMMANDS)


@pytest.mark.parametrize(("module", "use"), sorted(MODULES.items()), ids=sorted(MODULES))
def test_every_module_the_stack_runs_exists(module: str, use: str) -> None:
    """``python -m X`` needs module X; ``celery -A X`` needs a Celery app in X."""
    if use == "celery app":
        assert isinstance(find_app(module), Celery)
    else:
        assert importlib.util.find_spec(module) is not None
        importlib.import_module(module)


def test_the_stack_names_the_migration_probe_and_celery_modules() -> None:
    assert {"shared.migrate", "shared.probe", "services.notifications.worker"} <= set(MODULES)


@pytest.mark.parametrize("command", commands_of("celery"), ids=ids(commands_of("celery")))
def test_celery_command_line_is_one_celery_accepts(command: StackCommand) -> None:
    subcommand, options = parse_celery(command.argv)
    if subcommand == "inspect":
        assert Panel.meta[options["command"]].type == "inspect"


def test_every_stack_command_runs_a_known_program() -> None:
    assert {command.program for command in COMMANDS} == {"gunicorn", "celery", "python"}
    for command in commands_of("python"):
        assert command.argv[1] == "-m", command.origin


def celery_service(name: str) -> tuple[str, dict[str, Any]]:
    """The parsed celery command of a service."""
    return parse_celery(command_argv(COMPOSE["services"][name]["command"]))


def pinged_node(name: str) -> str:
    """The node a service's healthcheck pings, as it reads inside its container."""
    _, options = parse_celery(healthcheck_argv(COMPOSE["services"][name]["healthcheck"]["test"]))
    (destination,) = options["destination"]
    # `hostname` prints the container's host name, which celery's %h expands to.
    return destination.replace("$(hostname)", socket.gethostname())


@pytest.mark.parametrize(("name", "queues"), WORKERS.items(), ids=list(WORKERS))
def test_mail_and_housekeeping_each_have_a_queue_and_worker_of_their_own(
    name: str, queues: list[str]
) -> None:
    subcommand, options = celery_service(name)
    assert subcommand == "worker"
    assert options["queues"] == queues
    assert not options["beat"], "the scheduler runs in the beat service only"
    assert pinged_node(name) == options["hostname"]


def test_exactly_one_scheduler_runs() -> None:
    schedulers = [
        name
        for name, service in atelier_services(COMPOSE).items()
        if "command" in service and "beat" in command_argv(service["command"])
    ]
    assert schedulers == ["beat"]
    assert COMPOSE["services"]["beat"].get("deploy", {}).get("replicas", 1) == 1
    subcommand, options = celery_service("beat")
    assert subcommand == "beat"
    assert options["remote_control"], "beat answers its healthcheck's ping"
    assert pinged_node("beat") == beat_nodename(options["hostname"])


def test_beat_keeps_its_schedule_in_a_volume() -> None:
    _, options = celery_service("beat")
    mounts = dict(volume.split(":") for volume in COMPOSE["services"]["beat"]["volumes"])
    assert os.path.dirname(options["schedule"]) in mounts.values()
    assert set(mounts) <= set(COMPOSE["volumes"])


def test_redis_never_evicts_queued_tasks_and_keeps_them_across_restarts() -> None:
    redis = COMPOSE["services"]["redis"]
    arguments = command_argv(redis["command"])
    option_values = dict(zip(arguments[1::2], arguments[2::2], strict=True))
    assert arguments[0] == "redis-server"
    assert option_values["--maxmemory-policy"] == "noeviction"
    assert option_values["--appendonly"] == "yes"
    volume, mount = redis["volumes"][0].split(":")
    assert mount == "/data" and volume in COMPOSE["volumes"]
    assert "redis-cli ping" in " ".join(redis["healthcheck"]["test"])


def test_postgres_keeps_its_data_in_a_named_volume() -> None:
    postgres = COMPOSE["services"]["postgres"]
    volume, mount = postgres["volumes"][0].split(":")
    assert mount == "/var/lib/postgresql/data" and volume in COMPOSE["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


@pytest.mark.parametrize("name", sorted(atelier_services(COMPOSE)))
def test_atelier_service_takes_its_settings_from_the_env_file(name: str) -> None:
    env_file = COMPOSE["services"][name]["env_file"]
    assert ".env" in ([env_file] if isinstance(env_file, str) else env_file)


def test_every_variable_compose_interpolates_is_documented() -> None:
    variables = compose_variables()
    assert {"POSTGRES_PASSWORD", "SECRET_KEY", "REDIS_MAXMEMORY"} <= variables
    assert variables - documented_settings() == set()


def test_every_variable_the_shipped_code_reads_is_documented() -> None:
    read = set().union(*(environment_reads(path.read_text()) for path in shipped_python_files()))
    assert read - documented_settings() == set()


def test_environment_scan_finds_every_setting_of_the_configuration() -> None:
    """Each setting of shared/config.py is read from the variable of the same name."""
    from shared.config import load_config

    read = set().union(*(environment_reads(path.read_text()) for path in shipped_python_files()))
    assert set(load_config()) <= read
    assert "WEB_CONCURRENCY" in read


def test_environment_scan_sees_direct_reads_aliases_and_helpers() -> None:
    source = (
        "import os\n"
        "def _flag(name, default):\n"
        "    return os.environ.get(name, default)\n"
        "env = os.environ.get\n"
        "a = os.environ['A']\n"
        "b = os.getenv('B')\n"
        "c = env('C')\n"
        "d = _flag('D', False)\n"
        "e = 'E' in os.environ\n"
        "f = {'F': 1}.get('F')\n"
    )
    assert environment_reads(source) == {"A", "B", "C", "D", "E"}


def test_env_example_runs_in_production_with_no_secret_filled_in() -> None:
    example = read_env_file(ENV_EXAMPLE)
    assert example["ATELIER_ENV"] == "production"
    for secret in ("SECRET_KEY", "POSTGRES_PASSWORD", "MAIL_PASSWORD"):
        assert example[secret] == "", f"{secret} must be chosen by the administrator"
    assert example["DATABASE_URL"].startswith("postgresql+psycopg://")
