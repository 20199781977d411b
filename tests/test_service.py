"""`podio-component service METHOD`, as a platform service container runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any
from urllib.parse import quote

import pytest

from podio_component.emulator import Emulator


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
