"""The podio-component command, run as a real process against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import podio_component
from podio_component.emulator import Emulator
from tests.helpers import ROOT


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podio_component", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_run_prints_only_the_output_message_on_stdout(emulator: Emulator, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"secretId": emulator.create_secret()}))
    msg = json.dumps({"body": {"method": "GET", "url": "/user/status"}})
    result = cli(
        "run",
        "makeRawRequest",
        "--cfg",
        f"@{cfg}",
        "--msg",
        msg,
        env={**emulator.environment(), "LOG_LEVEL": "debug"},
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert result.stderr  # the debug logs went to stderr
    assert output["body"]["statusCode"] == 200
    assert output["body"]["responseBody"]["user"]["user_id"] == 1001


def test_an_error_is_one_clear_line_on_stderr_and_exit_1(emulator: Emulator) -> None:
    cfg = json.dumps({"secretId": emulator.create_secret()})
    msg = json.dumps({"body": {"method": "GET", "url": "/item/31337"}})
    result = cli("run", "makeRawRequest", "--cfg", cfg, "--msg", msg, env=emulator.environment())
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: GET /item/31337 failed after 1 attempt: HTTP 404")


def test_debug_logs_are_json_lines_without_secrets(emulator: Emulator) -> None:
    secret_id = emulator.create_secret(fields={"retries": "1", "retriesDelay": "0"})
    emulator.world.expire_all_tokens()
    emulator.create_secret()  # a second token that must not matter
    msg = json.dumps({"body": {"method": "GET", "url": "/item/5001"}})
    result = cli(
        "run",
        "makeRawRequest",
        "--cfg",
        json.dumps({"secretId": secret_id}),
        "--msg",
        msg,
        env={**emulator.environment(), "LOG_LEVEL": "debug"},
    )
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)
    logs = [json.loads(line) for line in result.stderr.strip().splitlines()]
    assert any("refreshing the token" in entry["msg"] for entry in logs)
    assert all({"time", "level", "name", "msg"} <= set(entry) for entry in logs)
    secrets = {
        *emulator.world.oauth.access_tokens,
        *emulator.world.oauth.refresh_tokens,
        emulator.platform.api_key,
    }
    assert not [s for s in secrets if s in result.stdout + result.stderr]


def test_verify(emulator: Emulator) -> None:
    good = cli(
        "verify",
        "--cfg",
        json.dumps({"secretId": emulator.create_secret()}),
        env=emulator.environment(),
    )
    assert (good.returncode, json.loads(good.stdout)) == (0, {"verified": True})
    bad = cli(
        "verify",
        "--cfg",
        json.dumps({"oauth": {"access_token": "wrong-token-1"}}),
        env=emulator.environment(),
    )
    assert bad.returncode == 1 and "re-authenticate" in bad.stderr


def test_describe_lists_actions_and_credential_fields() -> None:
    result = cli("describe")
    assert result.returncode == 0
    assert "makeRawRequest: Make Raw Request" in result.stdout
    assert "retries: Number of retries (default 5)" in result.stdout
    assert "retriesDelay: Delay between retries (ms) (default 10000)" in result.stdout


def test_bad_json_arguments_are_reported() -> None:
    result = cli("run", "makeRawRequest", "--cfg", "{", "--msg", "{}")
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr


def test_a_missing_argument_file_is_a_usage_error() -> None:
    result = cli("run", "makeRawRequest", "--cfg", "@/nonexistent/cfg.json", "--msg", "{}")
    assert result.returncode == 2
    assert "cannot read /nonexistent/cfg.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_action_is_a_usage_error() -> None:
    result = cli("run", "makeCoffee", "--cfg", "{}", "--msg", "{}")
    assert result.returncode == 2
    assert result.stderr.startswith("error: no action 'makeCoffee'; known actions: ")


def test_a_bug_inside_an_action_is_not_disguised_as_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from podio_component import cli as command
    from podio_component.actions import make_raw_request

    def buggy(msg: object, cfg: object, snapshot: object = None) -> object:
        raise KeyError("x")

    monkeypatch.setattr(make_raw_request, "process", buggy)
    with pytest.raises(KeyError):
        command.main(["run", "makeRawRequest", "--cfg", "{}", "--msg", "{}"])


def test_the_demo_runs_every_part_through_the_broker(amqp_url: str) -> None:
    done = cli("demo", env={"AMQP_URL": amqp_url})
    assert done.returncode == 0, done.stderr
    assert "the runtime answered on" in done.stdout
    assert "with HTTP 200 for 'Demo deal'" in done.stdout


def test_the_demo_without_a_broker_shows_the_rest_and_says_what_it_did_not_show() -> None:
    done = cli("demo", env={"AMQP_URL": "amqp://guest:broker-password@127.0.0.1:1/"})
    assert done.returncode == 0, done.stderr
    assert "broker-password" not in done.stdout + done.stderr
    assert "Read through a rate limit: GET /item/" in done.stdout
    (not_shown,) = [line for line in done.stdout.splitlines() if line.startswith("Not shown")]
    assert not_shown == (
        "Not shown: one message through the platform runtime on RabbitMQ, since no broker "
        "answers: start RabbitMQ at amqp://guest:***@127.0.0.1:1/ (`sudo rabbitmq-server "
        "-detached`; to install it: `sudo apt-get update && sudo apt-get install -y "
        "rabbitmq-server`), or set AMQP_URL to one that answers; then run the demo again."
    )


def test_each_demo_step_is_one_short_summary_and_verbose_adds_the_messages() -> None:
    env = {"AMQP_URL": "amqp://guest:guest@127.0.0.1:1/"}
    short = cli("demo", env=env).stdout.splitlines()
    steps = [line for line in short if " -> HTTP " in line]
    assert [line.split(":")[0] for line in steps] == [
        "Who am I",
        "Create a deal",
        "Read it back",
        "Read through a rate limit",
    ]
    assert all(len(line) < 200 for line in steps)
    assert "attempt(s), rate limit" in steps[0]
    verbose = cli("demo", "--verbose", env=env).stdout
    assert '  "statusCode": 200,' in verbose  # each output message, pretty-printed


def test_version_prints_the_version() -> None:
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout == f"podio-component {podio_component.__version__}\n"


def test_the_broker_helper_never_prints_the_brokers_password() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.broker"],
        cwd=ROOT,
        env={**os.environ, "AMQP_URL": "amqp://guest:broker-password@127.0.0.1:1/", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "broker-password" not in done.stdout + done.stderr
    assert "RabbitMQ at amqp://guest:***@127.0.0.1:1/ and none answers" in done.stderr
    assert "sudo apt-get update && sudo apt-get install -y rabbitmq-server" in done.stderr
