"""Read the production stack's files the way docker and compose would, without either."""

from __future__ import annotations

import ast
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from celery import Celery
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_cli

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
# A copy kept beside the tests, so that they never depend on files outside the repository.
COMPOSE_SCHEMA = Path(__file__).with_name("compose-spec.json")

# $$ is compose's escape for a literal $; ${NAME}, ${NAME:-default}, ${NAME:?error}, $NAME.
INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_]\w*)[^}]*\}|\$([A-Za-z_]\w*)")
DOCUMENTED_SETTING = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def load_compose() -> dict[str, Any]:
    """docker-compose.yml as a mapping, anchors and merge keys resolved."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


def load_compose_schema() -> dict[str, Any]:
    """The Compose Specification's JSON Schema."""
    return json.loads(COMPOSE_SCHEMA.read_text())


def gunicorn_settings() -> dict[str, Any]:
    """The settings gunicorn reads from gunicorn.conf.py, in the current environment."""
    settings: dict[str, Any] = {}
    exec(compile(GUNICORN_CONF.read_text(), str(GUNICORN_CONF), "exec"), settings)
    return settings


def compose_variables() -> set[str]:
    """Every variable docker-compose.yml interpolates."""
    return {
        match.group(1) or match.group(2)
        for match in INTERPOLATION.finditer(COMPOSE_FILE.read_text())
        if match.group(0) != "$$"
    }


def unescape(text: str) -> str:
    """A compose string after interpolation of its escapes: $$ becomes $."""
    return text.replace("$$", "$")


def command_argv(command: str | list[str]) -> list[str]:
    """A compose ``command`` (list or string) as the argument list the container runs."""
    if isinstance(command, str):
        return shlex.split(unescape(command))
    return [unescape(argument) for argument in command]


def healthcheck_argv(test: list[str]) -> list[str]:
    """A healthcheck ``test`` as an argument list, its shell form split like /bin/sh would."""
    kind, *rest = test
    if kind == "CMD-SHELL":
        return shlex.split(unescape(" ".join(rest)))
    assert kind == "CMD", f"unexpected healthcheck form {kind}"
    return [unescape(argument) for argument in rest]


def atelier_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run this project's image (built from this directory)."""
    return {name: spec for name, spec in compose["services"].items() if "build" in spec}


def documented_settings() -> set[str]:
    """Every variable .env.example names, set or commented out."""
    return set(DOCUMENTED_SETTING.findall(ENV_EXAMPLE.read_text()))


@dataclass
class StackCommand:
    """One command line the stack runs: where it comes from and its arguments."""

    origin: str
    argv: list[str]

    @property
    def program(self) -> str:
        """The executable's name."""
        return self.argv[0]


def stack_commands(compose: dict[str, Any]) -> list[StackCommand]:
    """Every command line of this project's containers: commands, healthchecks, image CMD."""
    commands = [StackCommand("Dockerfile CMD", final_stage(dockerfile_stages()).exec_form("CMD"))]
    for name, spec in atelier_services(compose).items():
        if "command" in spec:
            commands.append(StackCommand(f"{name} command", command_argv(spec["command"])))
        if "healthcheck" in spec:
            test = healthcheck_argv(spec["healthcheck"]["test"])
            commands.append(StackCommand(f"{name} healthcheck", test))
    return commands


def modules_run(commands: list[StackCommand]) -> dict[str, str]:
    """Python modules the commands name, with how they are used: ``-m`` or ``celery -A``."""
    modules = {}
    for command in commands:
        argv = command.argv
        if command.program == "python" and argv[1] == "-m":
            modules[argv[2]] = "module"
        if command.program == "celery":
            modules[celery_app_name(argv)] = "celery app"
    return modules


def celery_app_name(argv: list[str]) -> str:
    """The module of ``celery -A MODULE ...``."""
    assert argv[1] in ("-A", "--app"), f"celery commands name their app first: {argv}"
    return argv[2]


def parse_celery(argv: list[str]) -> tuple[str, dict[str, Any]]:
    """Parse ``celery -A MODULE SUBCOMMAND ...`` with celery's own command line.

    A bare Celery app stands in for MODULE: parsing needs only the defaults, and whether the
    module exists is checked on its own.
    """
    name, *arguments = argv[3:]
    command = celery_cli.commands[name]
    context_object = CLIContext(
        app=Celery(set_as_current=False), no_color=True, workdir=None, quiet=True
    )
    context = command.make_context(name, arguments, obj=context_object)
    return name, context.params


@dataclass
class Stage:
    """One FROM ... stage of a Dockerfile."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        """The arguments of every ``keyword`` instruction of the stage, in order."""
        return [rest for instruction, rest in self.instructions if instruction == keyword]

    def exec_form(self, keyword: str) -> list[str]:
        """The last ``keyword`` instruction (CMD, ENTRYPOINT) in its JSON exec form."""
        return json.loads(self.arguments(keyword)[-1])

    def environment(self) -> dict[str, str]:
        """The ENV settings of the stage."""
        settings = {}
        for rest in self.arguments("ENV"):
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                settings[name] = value
        return settings


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    logical, pending = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        if joined:
            keyword, _, rest = joined.partition(" ")
            logical.append((keyword.upper(), " ".join(rest.split())))
    return logical


def dockerfile_stages(text: str | None = None) -> list[Stage]:
    """The Dockerfile's stages, in order."""
    stages: list[Stage] = []
    # ARGs before the first FROM may name the bases; a build without --build-arg uses these.
    defaults: dict[str, str] = {}
    for keyword, rest in dockerfile_instructions(text or DOCKERFILE.read_text()):
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            defaults[name.strip()] = default.strip()
        elif keyword == "FROM":
            words = [word for word in rest.split() if not word.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            base = re.sub(r"\$\{(\w+)\}", lambda match: defaults[match.group(1)], words[0])
            stages.append(Stage(base=base, name=name))
        elif stages:
            stages[-1].instructions.append((keyword, rest))
    return stages


def final_stage(stages: list[Stage]) -> Stage:
    """The stage the image is made of."""
    return stages[-1]


def copy_sources(stage: Stage) -> list[str]:
    """Paths a stage copies from the build context (not from another stage)."""
    sources = []
    for rest in stage.arguments("COPY"):
        words = rest.split()
        if any(word.startswith("--from") for word in words):
            continue
        sources.extend(word for word in words[:-1] if not word.startswith("--"))
    return sources


ENVIRONMENT_READERS = {"os.environ.get", "os.getenv", "environ.get", "getenv"}


def dotted_name(node: ast.AST) -> str:
    """``os.environ.get`` for the expression os.environ.get, "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = dotted_name(node.value)
        return f"{owner}.{node.attr}" if owner else ""
    return ""


def first_string_argument(call: ast.Call) -> str | None:
    """The call's first positional argument when it is a string literal."""
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def environment_helpers(tree: ast.AST) -> set[str]:
    """Local names that read the environment: ``env = os.environ.get`` and functions passing
    their first parameter to such a reader (``def _flag(name, ...): os.environ.get(name)``)."""
    helpers = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and dotted_name(node.value) in ENVIRONMENT_READERS:
            helpers.update(target.id for target in node.targets if isinstance(target, ast.Name))
        if isinstance(node, ast.FunctionDef) and node.args.args:
            parameter = node.args.args[0].arg
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and dotted_name(call.func) in ENVIRONMENT_READERS
                    and call.args
                    and isinstance(call.args[0], ast.Name)
                    and call.args[0].id == parameter
                ):
                    helpers.add(node.name)
    return helpers


def environment_reads(source: str) -> set[str]:
    """Names of the environment variables a Python source reads."""
    tree = ast.parse(source)
    readers = ENVIRONMENT_READERS | environment_helpers(tree)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and dotted_name(node.func) in readers:
            name = first_string_argument(node)
        elif isinstance(node, ast.Subscript) and dotted_name(node.value).endswith("environ"):
            name = node.slice.value if isinstance(node.slice, ast.Constant) else None
        elif isinstance(node, ast.Compare) and any(
            dotted_name(comparator).endswith("environ") for comparator in node.comparators
        ):
            name = node.left.value if isinstance(node.left, ast.Constant) else None
        else:
            continue
        if isinstance(name, str):
            names.add(name)
    return names


def shipped_python_files() -> list[Path]:
    """The Python files the image copies from the build context."""
    files: list[Path] = []
    for stage in dockerfile_stages():
        for source in copy_sources(stage):
            path = ROOT / source
            if path.is_dir():
                files.extend(sorted(path.rglob("*.py")))
            elif path.suffix == ".py":
                files.append(path)
    return files
