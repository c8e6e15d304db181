"""docker-compose.yml, .env.example and the Dockerfile checked for structure (no Docker engine needed).

Every variable a prescreen container gets must be one a settings class reads (a misspelt name would be
ignored silently: extra="ignore"); long-running services have healthchecks; the worker scales; the
schema is migrated once before the API and workers start; what compose interpolates is in .env.example.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
OURS = {"migrate", "api", "worker", "beat", "metrics"}  # the prescreen image
# Read by libraries rather than a settings class of ours, each for a stated reason.
LIBRARY_ENV = {"PROMETHEUS_MULTIPROC_DIR"}  # prometheus_client's multiprocess mode (prescreen/metrics.py)
# The variables the third-party images document.
IMAGE_ENV = {
    "redis": {"REDISCLI_AUTH"},
    "postgres": {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"},
    "minio": {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"},
    "flower": {"CELERY_BROKER_URL", "FLOWER_BASIC_AUTH"},
    "prometheus": set(),
}


def settings_env() -> set[str]:
    """Every environment variable our settings classes read: env_prefix + field name."""
    from extractors.context import OcrSettings
    from intake.limits import IntakeLimits
    from prescreen.metrics import MetricsSettings
    from prescreen.tasks_app import QueueSettings
    from storage.settings import StorageSettings
    from web.settings import WebSettings

    names = set()
    for cls in (StorageSettings, QueueSettings, OcrSettings, IntakeLimits, MetricsSettings, WebSettings):
        prefix = cls.model_config.get("env_prefix", "")
        names |= {f"{prefix}{field}".upper() for field in cls.model_fields}
    return names


def env_of(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "environment as a mapping, so YAML anchors merge and keys are checked"
    return env


def test_the_services_of_a_deployment():
    assert OURS | set(IMAGE_ENV) == set(SERVICES)
    assert {s for s, v in SERVICES.items() if "monitoring" in v.get("profiles", ())} == {"flower", "prometheus"}
    for name in OURS:
        assert SERVICES[name]["image"].startswith("${PRESCREEN_IMAGE") and SERVICES[name]["build"] == "."


def test_prescreen_containers_get_only_variables_our_settings_read():
    known = settings_env() | LIBRARY_ENV
    for name in OURS:
        unknown = set(env_of(SERVICES[name])) - known
        assert not unknown, f"{name}: no settings class reads {sorted(unknown)}"


def test_third_party_containers_get_their_documented_variables():
    for name, allowed in IMAGE_ENV.items():
        assert set(env_of(SERVICES[name])) <= allowed, name


def test_api_workers_and_beat_share_one_configuration_and_start_after_the_migration():
    shared = env_of(SERVICES["beat"])
    for name in ("api", "worker", "beat"):
        env = env_of(SERVICES[name])
        assert {k: env[k] for k in shared} == shared, name
        assert env["PRESCREEN_OBJECT_STORE"] == "minio" and env["PRESCREEN_DATABASE_URL"].startswith("postgresql")
        assert env["PRESCREEN_BROKER_URL"].startswith("redis://")
        after = SERVICES[name]["depends_on"]
        assert after["migrate"] == {"condition": "service_completed_successfully"}
        assert after["redis"] == after["minio"] == {"condition": "service_healthy"}
    migrate = SERVICES["migrate"]
    assert migrate["entrypoint"] == ["python", "-m", "storage.migrate", "upgrade"] and migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert env_of(migrate)["PRESCREEN_DATABASE_URL"] == env_of(SERVICES["api"])["PRESCREEN_DATABASE_URL"]


def test_the_worker_scales():
    worker = SERVICES["worker"]
    assert "container_name" not in worker and "ports" not in worker and "hostname" not in worker
    assert worker["command"][0] == "worker"
    env = env_of(worker)
    # Its /metrics sums its pool children, which needs the multiprocess folder.
    assert env["PRESCREEN_METRICS_PORT"] == "9808" and env["PROMETHEUS_MULTIPROC_DIR"]
    assert worker["expose"] == ["9808"]


def test_long_running_services_have_healthchecks():
    for name, service in SERVICES.items():
        if name == "migrate":
            assert "healthcheck" not in service  # a one-shot container: done is its state
            continue
        check = service.get("healthcheck")
        assert check and check["test"][0] in ("CMD", "CMD-SHELL") and not check.get("disable"), name
        assert check.get("interval") and check.get("retries"), name
    assert "/healthz" in " ".join(SERVICES["api"]["healthcheck"]["test"])
    assert "inspect ping" in " ".join(SERVICES["worker"]["healthcheck"]["test"])


def test_named_volumes_are_declared_and_used():
    declared = set(COMPOSE["volumes"])
    used = set()
    for service in SERVICES.values():
        for spec in service.get("volumes", ()):
            source = spec.split(":", 1)[0]
            assert not source.startswith((".", "/")), f"bind mount {spec}: data goes into named volumes"
            used.add(source)
    assert used == declared
    for name, path in (("postgres", "/var/lib/postgresql/data"), ("minio", "/data"), ("redis", "/data")):
        assert any(v.endswith(f":{path}") for v in SERVICES[name]["volumes"]), name


def test_only_the_api_and_consoles_are_published_and_consoles_on_localhost_only():
    for name, service in SERVICES.items():
        for port in service.get("ports", ()):
            assert name in ("api", "minio", "flower", "prometheus"), name
            if name != "api":
                assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this host"


def _interpolated() -> dict[str, str]:
    """Variables compose interpolates: name -> '' (required or plain) or the default after ':-'."""
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for name, op, rest in re.findall(r"\$\{([A-Z_][A-Z0-9_]*)(:[-?])?([^}]*)\}", text):
        found.setdefault(name, rest if op == ":-" else "")
        if op == ":?":
            found[name] = "required"
    return found


def _env_example() -> dict[str, str]:
    out = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def test_env_example_lists_every_variable_and_leaves_the_secrets_empty():
    interpolated, example = _interpolated(), _env_example()
    assert set(interpolated) == set(example)
    for secret in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "MINIO_ROOT_PASSWORD", "PRESCREEN_SECRET_KEY",
                   "FLOWER_BASIC_AUTH"):
        assert interpolated[secret] == "required" and example[secret] == "", secret
    for name, default in interpolated.items():
        if default not in ("", "required"):
            assert example[name] == default, f"{name}: .env.example says {example[name]!r}, compose {default!r}"


def test_the_image_holds_every_package_and_the_commands_compose_runs():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    for package in packages:
        assert f"COPY {package} {package}" in dockerfile, package
    assert "COPY worker.py" in dockerfile and 'ENTRYPOINT ["prescreen"]' in dockerfile
    from prescreen.cli import build_parser

    def argv(name: str) -> list[str]:  # compose's defaults interpolated
        return [re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", a) for a in SERVICES[name]["command"]]

    parser = build_parser()
    for name in ("worker", "metrics"):
        assert parser.parse_args(argv(name)).func.__name__ == f"cmd_{name}"
    assert parser.parse_args(argv("metrics")).port == 9808 and parser.parse_args(argv("worker")).concurrency == 2
    try:
        parser.parse_args(argv("api"))
    except SystemExit:
        pytest.xfail("`prescreen serve` is not registered yet (web/ is being written)")
