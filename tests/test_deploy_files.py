"""The hosted-mode files agree with the app: compose services, ports, commands and variable names.

`docker compose config` needs Docker, absent here and in CI; these checks parse the same files and
compare them with what the code reads (app/config.py) and registers (the `mallette` commands).
"""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from click import Group

from app.cli import cli
from app.config import ENVIRONMENT, PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
#: Variables read by other programs than the app (the PostgreSQL image).
OTHER_PROGRAMS = {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"}


def _compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text(encoding="utf-8"))


def _mallette_commands(app) -> set[str]:  # type: ignore[no-untyped-def]
    names = set(cli.commands)
    names |= set(app.cli.commands) if isinstance(app.cli, Group) else set()
    return names


def _check_command(argv: list[str], app) -> None:  # type: ignore[no-untyped-def]
    program = Path(argv[0]).name
    if program == "gunicorn":
        assert argv[-1] == "app:create_app()"
        assert "--workers" in argv and "--bind" in argv
        # The settings module (its worker hook keeps the loaded app out of the collector's walks).
        assert argv[argv.index("-c") + 1] == "python:app.gunicorn_conf"
    else:
        assert program == "mallette", argv
        assert argv[1] in _mallette_commands(app), f"no `mallette {argv[1]}` command"


def test_compose_stack_matches_the_app(app) -> None:  # type: ignore[no-untyped-def]
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"app", "worker", "postgres", "redis"}
    for name in ("app", "worker"):
        service = services[name]
        env = service["environment"]
        assert set(env) <= set(ENVIRONMENT), set(env) - set(ENVIRONMENT)
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MALLETTE_BASE_URL"} <= set(env)
        database, redis = urlsplit(env["DATABASE_URL"]), urlsplit(env["REDIS_URL"])
        assert database.scheme == "postgresql" and database.hostname == "postgres"
        assert database.path.lstrip("/") == services["postgres"]["environment"]["POSTGRES_DB"]
        assert database.username == services["postgres"]["environment"]["POSTGRES_USER"]
        assert redis.scheme == "redis" and redis.hostname == "redis"
        assert set(service["depends_on"]) == {"postgres", "redis"}
        _check_command(service["command"], app)
        build_dir = env["MALLETTE_BUILD_DIR"]
        assert any(v.endswith(f":{build_dir}") for v in service["volumes"])  # app and worker share builds
    # The app is published on loopback only, on the port gunicorn binds.
    command = services["app"]["command"]
    bind_port = command[command.index("--bind") + 1].rsplit(":", 1)[1]
    assert services["app"]["ports"] == [f"127.0.0.1:{bind_port}:{bind_port}"]
    assert "ports" not in services["postgres"] and "ports" not in services["redis"]
    assert all("healthcheck" in services[s] for s in ("postgres", "redis"))
    assert set(compose["volumes"]) == {"builds", "postgres", "redis"}


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def test_systemd_units_run_real_commands_with_the_environment_file(app) -> None:  # type: ignore[no-untyped-def]
    web, worker = _unit("mallette-web.service"), _unit("mallette-worker.service")
    backup = _unit("mallette-backup.service")
    for unit in (web, worker, backup):
        service = unit["Service"]
        assert service["EnvironmentFile"] == "/etc/mallette/mallette.env"
        assert service["User"] == "mallette"
        argv = shlex.split(service["ExecStart"])
        assert argv[0].startswith("/opt/mallette/.venv/bin/")
        _check_command(argv, app)
    assert "127.0.0.1:8000" in web["Service"]["ExecStart"]
    assert shlex.split(worker["Service"]["ExecStart"])[1] == "worker"
    assert _unit("mallette-backup.timer")["Timer"]["OnCalendar"]


def test_environment_example_names_only_settings_the_app_reads() -> None:
    names = [line.split("=", 1)[0] for line in (DEPLOY / "mallette.env.example").read_text().splitlines()
             if line and not line.startswith("#")]
    assert set(names) <= set(ENVIRONMENT), set(names) - set(ENVIRONMENT)
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MALLETTE_BASE_URL", "MALLETTE_TRUSTED_HOSTS"} <= set(names)


def test_deploy_guide_mentions_every_setting_it_documents() -> None:
    guide = (PROJECT_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", guide, flags=re.M))
    assert documented <= set(ENVIRONMENT) and len(documented) >= 8
    for heading in ("PostgreSQL", "Redis", "Proxy inverse et TLS", "Sauvegardes", "Mises à jour"):
        assert heading in guide
    assert (PROJECT_ROOT / "deploy" / "Caddyfile").read_text().count("reverse_proxy 127.0.0.1:8000") == 1


def test_gunicorn_workers_freeze_what_they_loaded() -> None:
    """The worker hook moves the objects the app loaded to the permanent generation."""
    import gc

    from app import gunicorn_conf

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    gunicorn_conf.post_worker_init(None)
    try:
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
