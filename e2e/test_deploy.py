"""The deploy files, checked as far as this machine can: Caddy's and systemd's own validators, and
the Dockerfile against the Makefile and the sources it must copy (no container engine runs here)."""

import json
import os
import re
import shutil
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BINARY = os.path.abspath(os.environ.get("TODO_SERVER_BINARY", os.path.join(ROOT, ".build", "debug", "todo-server")))


def read(*path):
    with open(os.path.join(ROOT, *path)) as handle:
        return handle.read()


def test_caddyfile_is_valid_and_keeps_metrics_private(tmp_path):
    environment = dict(os.environ, DOMAIN="todo.example.com", HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    caddyfile = os.path.join(ROOT, "deploy", "Caddyfile")
    validated = subprocess.run(["caddy", "validate", "--config", caddyfile, "--adapter", "caddyfile"], env=environment, capture_output=True, text=True)
    assert validated.returncode == 0 and "Valid configuration" in validated.stdout + validated.stderr, validated.stderr
    adapted = subprocess.run(["caddy", "adapt", "--config", caddyfile, "--adapter", "caddyfile"], env=environment, capture_output=True, text=True)
    config = json.loads(adapted.stdout)
    text = json.dumps(config)
    assert '"dial": "127.0.0.1:8080"' in text and '"todo.example.com"' in text
    assert "^/+metrics(/.*)?$" in text and '"status_code": 404' in text


def test_systemd_unit_verifies(tmp_path):
    unit = read("deploy", "todo-server.service").replace("/usr/local/bin/todo-server", BINARY)
    path = tmp_path / "todo-server.service"
    path.write_text(unit)
    result = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    # systemd-analyze exits 0 even for unknown keys, so any word from it is a problem.
    assert result.returncode == 0 and result.stdout.strip() == "" and result.stderr.strip() == "", result.stderr
    for setting in ["User=todo", "StateDirectory=todo-server", "ProtectSystem=strict", "Restart=always", "TRUSTED_PROXIES=127.0.0.1", "TimeoutStopSec=40"]:
        assert setting in unit


def test_dockerfile_builds_as_the_makefile_does():
    dockerfile = read("deploy", "Dockerfile")
    makefile = read("Makefile")
    release = re.search(r"^release:.*\n\t\$\(SWIFT\) (build [^\n]+)", makefile, re.M).group(1)
    assert f"swift {release}" in dockerfile, release
    packages = re.search(r"^packages=\(([^\"$)]+)", read("scripts", "install-system-packages.sh"), re.M).group(1).split()
    build_stage = dockerfile.split("\nFROM ", 2)[1]
    for package in packages:
        assert package in build_stage, package
    runtime = dockerfile.split("\nFROM ", 2)[2]
    for package in ["libsqlite3-0", "ca-certificates", "msmtp"]:
        assert package in runtime
    assert "USER todo" in runtime and "HEALTHCHECK" in runtime and "VOLUME /app/data" in runtime
    # Every file the build reads must be copied: the sources, and what their symlinks point into.
    copied = set(re.findall(r"^COPY (\S+)", build_stage, re.M))
    assert {"Package.swift", "Sources"} <= copied
    for folder, _, files in os.walk(os.path.join(ROOT, "Sources")):
        for name in files + os.listdir(folder):
            path = os.path.join(folder, name)
            if os.path.islink(path):
                target = os.path.relpath(os.path.realpath(path), ROOT).split(os.sep)[0]
                assert target in copied, f"{path} points into {target}, which the Dockerfile does not copy"


def test_compose_trusts_only_caddy():
    compose = read("deploy", "compose.yml")
    caddy_address = re.search(r"caddy:.*?ipv4_address: (\S+)", compose, re.S).group(1)
    assert f"TRUSTED_PROXIES: {caddy_address}" in compose
    assert "todo-data:/app/data" in compose and "./Caddyfile:/etc/caddy/Caddyfile" in compose
    # Settings the deployment needs are in `environment:`, which wins over the operator's .env.
    for setting in ["HOST: 0.0.0.0", "PORT: \"8080\"", "DATABASE_PATH: /app/data/todo.sqlite", "stop_grace_period: 40s"]:
        assert setting in compose, setting


def test_env_example_leaves_the_deployment_settings_alone():
    """A copied .env.example must not override what the unit and compose set (HOST, PORT, DATABASE_PATH)."""
    for line in read(".env.example").splitlines():
        assert not re.match(r"(HOST|PORT|DATABASE_PATH)=", line), line
