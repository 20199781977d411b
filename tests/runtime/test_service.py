"""`podio-component service METHOD`, as a platform service container runs it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from typing import Any
from urllib.parse import quote

import pytest

from podio_component.credentials.store import CredentialStore
from podio_component.emulator import Emulator
from tests.helpers import save_credential


def service(
    emulator: Emulator, method: str, cfg: Any, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[Any]]:
    platform = emulator.platform
    auth = f"{quote(platform.username)}:{quote(platform.api_key)}"
    host = emulator.platform_url.removeprefix("http://")
    result_url = f"http://{auth}@{host}/service-results/{method}"
    completed = subprocess.run(
        [sys.executable, "-m", "podio_component", "service", method],
        env={
            **os.environ,
            **emulator.environment(),
            "ELASTICIO_POST_RESULT_URL": result_url,
            "ELASTICIO_CFG": cfg if isinstance(cfg, str) else json.dumps(cfg),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return completed, platform.service_results.get(method, [])


def test_verify_credentials_posts_verified(emulator: Emulator) -> None:
    completed, posted = service(
        emulator, "verifyCredentials", {"secretId": emulator.create_secret()}
    )
    assert completed.returncode == 0, completed.stdout
    assert posted == [{"status": "success", "data": {"verified": True}}]


def test_a_credential_podio_refuses_is_posted_as_not_verified_with_the_reason(
    emulator: Emulator,
) -> None:
    completed, posted = service(
        emulator, "verifyCredentials", {"oauth": {"access_token": "not-a-real-token-123"}}
    )
    assert completed.returncode == 0
    (result,) = posted
    assert result["status"] == "success"
    assert result["data"]["verified"] is False
    assert "re-authenticate" in result["data"]["reason"]


@pytest.mark.parametrize(
    ("cfg", "env", "message"),
    [
        ("{not json", {}, "ELASTICIO_CFG is not provided or not valid JSON"),
        (None, {"PODIO_API_URL": "http://127.0.0.1:9"}, "could not connect"),
    ],
    ids=["bad cfg", "Podio unreachable"],
)
def test_a_check_that_cannot_run_is_posted_as_an_error(
    emulator: Emulator, cfg: Any, env: dict[str, str], message: str
) -> None:
    token = emulator.issue_token()["access_token"]
    cfg = cfg or {"oauth": {"access_token": token}, "retries": "0"}
    completed, posted = service(emulator, "verifyCredentials", cfg, **env)
    assert completed.returncode == 0
    (result,) = posted
    assert result["status"] == "error"
    assert message in result["data"]["message"]


def test_get_meta_model_for_an_action_without_one_is_an_error(emulator: Emulator) -> None:
    completed, posted = service(
        emulator, "getMetaModel", {}, ELASTICIO_ACTION_OR_TRIGGER="makeRawRequest"
    )
    assert completed.returncode == 0
    missing = 'Method "getMetaModel" is not found in "makeRawRequest" action or trigger'
    assert posted == [{"status": "error", "data": {"message": missing}}]


def test_without_a_result_url_the_service_exits_1(emulator: Emulator) -> None:
    completed, posted = service(emulator, "verifyCredentials", {}, ELASTICIO_POST_RESULT_URL="")
    assert completed.returncode == 1
    assert "ELASTICIO_POST_RESULT_URL is not provided" in completed.stdout
    assert posted == []


def test_no_secret_reaches_the_services_log(emulator: Emulator) -> None:
    token = emulator.issue_token()["access_token"]
    completed, _ = service(
        emulator, "verifyCredentials", {"oauth": {"access_token": token}}, LOG_LEVEL="debug"
    )
    assert completed.returncode == 0
    for secret in (token, emulator.platform.api_key):
        assert secret not in completed.stdout + completed.stderr


def test_a_local_store_credential_is_refused_as_the_runtime_refuses_it(
    emulator: Emulator, store: CredentialStore
) -> None:
    save_credential(store, emulator, "work")
    completed, posted = service(emulator, "verifyCredentials", {"credential": "work"})
    assert completed.returncode == 0
    assert posted == [
        {
            "status": "success",
            "data": {
                "verified": False,
                "reason": "cfg.credential names a credential in a local store, which the "
                "platform runtime never reads; select a platform credential (secretId) for "
                "this step",
            },
        }
    ]
    assert emulator.log.count("GET", "/user/status") == 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"PODIO_API_URL": "ftp://podio.example"},
            "the component's environment is not usable: Invalid PODIO_API_URL",
        ),
        (
            {"ELASTICIO_API_REQUEST_RETRY_ATTEMPTS": "three"},
            "ELASTICIO_API_REQUEST_RETRY_ATTEMPTS must be a whole number, got 'three'",
        ),
    ],
    ids=["PODIO_API_URL", "retry attempts"],
)
def test_a_broken_container_environment_is_posted_as_an_error_and_exits_1(
    emulator: Emulator, env: dict[str, str], message: str
) -> None:
    completed, posted = service(
        emulator, "verifyCredentials", {"secretId": emulator.create_secret()}, **env
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stdout + completed.stderr
    (result,) = posted
    assert result["status"] == "error"
    assert message in result["data"]["message"]


def test_an_unknown_method_is_posted_as_an_error_and_exits_1(emulator: Emulator) -> None:
    completed, posted = service(emulator, "makeCoffee", {})
    assert completed.returncode == 1
    (result,) = posted
    assert result["status"] == "error"
    assert result["data"]["message"].startswith("Unknown service method 'makeCoffee'")


def test_verification_has_a_deadline_of_its_own(emulator: Emulator) -> None:
    with socket.socket() as silent:  # accepts connections and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        _completed, posted = service(
            emulator,
            "verifyCredentials",
            {"oauth": {"access_token": "token-0123456789"}},
            PODIO_API_URL=url,
            PODIO_VERIFY_DEADLINE="2",
        )
        took = time.monotonic() - started
    assert took < 10
    (result,) = posted
    assert result["status"] == "error"
    assert "PODIO_VERIFY_DEADLINE" in result["data"]["message"]


def test_select_model_serves_the_trigger_app_list(emulator: Emulator) -> None:
    token = emulator.issue_token()["access_token"]
    completed, posted = service(
        emulator,
        "selectModel",
        {"oauth": {"access_token": token}},
        ELASTICIO_ACTION_OR_TRIGGER="newAndUpdatedItems",
        ELASTICIO_GET_MODEL_METHOD="apps",
    )
    assert completed.returncode == 0, completed.stdout
    assert posted == [
        {
            "status": "success",
            "data": {
                "30": "Example Co \u203a Sales \u203a Deals",
                "40": "Example Co \u203a Sales \u203a Everything",
            },
        }
    ]


def test_get_meta_model_serves_an_item_actions_form_from_the_app(emulator: Emulator) -> None:
    token = emulator.issue_token()["access_token"]
    completed, posted = service(
        emulator,
        "getMetaModel",
        {"oauth": {"access_token": token}, "app": "40"},
        ELASTICIO_ACTION_OR_TRIGGER="createItem",
    )
    assert completed.returncode == 0, completed.stdout
    (result,) = posted
    assert result["status"] == "success"
    assert result["data"]["in"]["properties"]["stage"]["enum"] == ["Lead", "Negotiation", "Won"]
