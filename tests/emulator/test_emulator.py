"""The emulator itself: OAuth grants, token rotation and expiry, rate limit, envelope, faults."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from podio_component.emulator import Emulator, Fault, FaultPlan, RequestLog
from podio_component.emulator.faults import FaultingApp
from podio_component.emulator.podio.app import error_response
from podio_component.emulator.server import parse_fault_option

CLIENT = {"client_id": "emulator-client", "client_secret": "emulator-client-secret"}


def token(emulator: Emulator, path: str = "/oauth/token", **params: str) -> requests.Response:
    return requests.post(f"{emulator.podio_url}{path}", data={**CLIENT, **params}, timeout=5)


def api(
    emulator: Emulator, path: str, access_token: str, scheme: str = "OAuth2"
) -> requests.Response:
    return requests.get(
        f"{emulator.podio_url}{path}",
        headers={"Authorization": f"{scheme} {access_token}"},
        timeout=5,
    )


def test_password_grant_gives_podios_token_shape(emulator: Emulator) -> None:
    response = token(
        emulator, grant_type="password", username="ada@example.com", password="analytical-engine"
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "ref",
    }
    assert (body["token_type"], body["expires_in"]) == ("bearer", 28800)
    assert body["ref"] == {"type": "user", "id": 1001}


def test_client_credentials_may_come_as_http_basic(emulator: Emulator) -> None:
    response = requests.post(
        f"{emulator.podio_url}/oauth/token",
        data={"grant_type": "app", "app_id": "30", "app_token": "emulator-app-token-30"},
        auth=(CLIENT["client_id"], CLIENT["client_secret"]),
        timeout=5,
    )
    assert response.json()["ref"] == {"type": "app", "id": 30}


def test_v2_takes_json_and_refuses_a_form_body(emulator: Emulator) -> None:
    params = {
        **CLIENT,
        "grant_type": "password",
        "username": "ada@example.com",
        "password": "analytical-engine",
    }
    ok = requests.post(f"{emulator.podio_url}/oauth/token/v2", json=params, timeout=5)
    assert ok.status_code == 200
    form = requests.post(f"{emulator.podio_url}/oauth/token/v2", data=params, timeout=5)
    assert (form.status_code, form.json()["error"]) == (400, "invalid_value")


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (
            {"grant_type": "password", "username": "ada@example.com", "password": "x"},
            "invalid_client",
        ),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
        (
            {
                "grant_type": "authorization_code",
                "code": "nope",
                "redirect_uri": "http://localhost/cb",
            },
            "invalid_grant",
        ),
        ({"grant_type": "magic"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
    ],
)
def test_token_endpoint_errors_are_400_with_the_envelope(
    emulator: Emulator, params: dict[str, str], error: str
) -> None:
    response = token(emulator, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error
    assert {"error_description", "error_detail", "error_parameters", "request"} <= set(body)


def test_a_wrong_client_secret_is_invalid_client(emulator: Emulator) -> None:
    response = requests.post(
        f"{emulator.podio_url}/oauth/token",
        timeout=5,
        data={"client_id": "emulator-client", "client_secret": "wrong", "grant_type": "password"},
    )
    assert response.json()["error_description"] == "invalid_auth"


def test_the_authorization_code_flow_echoes_state(emulator: Emulator) -> None:
    query = {"client_id": "emulator-client", "redirect_uri": "http://localhost/cb", "state": "xyz"}
    page = requests.get(f"{emulator.podio_url}/oauth/authorize", params=query, timeout=5)
    assert "Grant access" in page.text
    allowed = requests.post(
        f"{emulator.podio_url}/oauth/authorize",
        data={**query, "decision": "allow"},
        allow_redirects=False,
        timeout=5,
    )
    location = urlsplit(allowed.headers["Location"])
    params = parse_qs(location.query)
    assert params["state"] == ["xyz"]
    exchanged = token(
        emulator,
        grant_type="authorization_code",
        code=params["code"][0],
        redirect_uri="http://localhost/cb",
    )
    assert exchanged.status_code == 200
    reused = token(
        emulator,
        grant_type="authorization_code",
        code=params["code"][0],
        redirect_uri="http://localhost/cb",
    )
    assert reused.json()["error"] == "invalid_grant"


def test_a_denied_authorization_redirects_with_access_denied(emulator: Emulator) -> None:
    denied = requests.post(
        f"{emulator.podio_url}/oauth/authorize",
        allow_redirects=False,
        timeout=5,
        data={
            "client_id": "emulator-client",
            "redirect_uri": "http://localhost/cb",
            "state": "s1",
            "decision": "deny",
        },
    )
    params = parse_qs(urlsplit(denied.headers["Location"]).query)
    assert params["error"] == ["access_denied"] and params["state"] == ["s1"]


def test_refresh_tokens_are_single_use(emulator: Emulator) -> None:
    first = emulator.issue_token()
    rotated = token(emulator, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != first["refresh_token"]
    again = token(emulator, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert again.json()["error"] == "invalid_grant"


def test_tokens_expire_after_their_lifetime(emulator: Emulator) -> None:
    access = emulator.issue_token()["access_token"]
    assert api(emulator, "/user/status", access).status_code == 200
    emulator.world.clock.advance(8 * 3600 + 1)
    expired = api(emulator, "/user/status", access)
    assert expired.status_code == 401
    assert expired.json()["error_description"] == "expired_token"
    assert "expired_token" in expired.headers["WWW-Authenticate"]


def test_bearer_is_accepted_and_a_missing_or_unknown_token_is_401(emulator: Emulator) -> None:
    access = emulator.issue_token()["access_token"]
    assert api(emulator, "/user/", access, scheme="bearer").status_code == 200
    missing = requests.get(f"{emulator.podio_url}/user/", timeout=5)
    assert (missing.status_code, missing.json()["error"]) == (401, "unauthorized")
    assert api(emulator, "/user/", "unknown-token").json()["error"] == "invalid_token"


def test_every_response_has_rate_limit_headers_and_the_limit_gives_420(emulator: Emulator) -> None:
    emulator.world.limits.rate_limit = 2
    access = emulator.issue_token()["access_token"]
    first = api(emulator, "/org/", access)
    assert first.headers["X-Rate-Limit-Limit"] == "2"
    assert first.headers["X-Rate-Limit-Remaining"] == "1"
    assert first.headers["X-Podio-Request-Id"]
    api(emulator, "/org/", access)
    limited = api(emulator, "/org/", access)
    assert limited.status_code == 420
    assert limited.json()["error"] == "rate_limit"
    assert "Please wait" in limited.json()["error_description"]
    emulator.world.clock.advance(3600)
    assert api(emulator, "/org/", access).status_code == 200


def test_seeded_workspace(emulator: Emulator) -> None:
    access = emulator.issue_token()["access_token"]
    orgs = api(emulator, "/org/", access).json()
    assert orgs[0]["spaces"][0]["space_id"] == 20
    app = api(emulator, "/app/30", access).json()
    assert [f["external_id"] for f in app["fields"]] == ["title", "amount", "stage", "probability"]
    item = api(emulator, "/item/5001", access).json()
    assert item["fields"][0]["values"] == [{"value": "Analytical engine licence"}]
    raw = api(emulator, "/file/7001/raw", access)
    assert raw.headers["Content-Type"] == "application/pdf"
    assert 'filename="contract.pdf"' in raw.headers["Content-Disposition"]


def test_faults_are_served_in_order_and_logged(emulator: Emulator) -> None:
    access = emulator.issue_token()["access_token"]
    emulator.faults.add("GET", "/user/*", Fault(status=503), Fault(malformed=True))
    assert api(emulator, "/user/status", access).status_code == 503
    assert api(emulator, "/user/status", access).text.startswith('{"item_id": 12, "title": "cut')
    assert api(emulator, "/user/status", access).status_code == 200
    assert [e.fault for e in emulator.log.entries()] == ["503", "malformed", None]


def test_drop_and_truncate_break_the_connection(emulator: Emulator) -> None:
    access = emulator.issue_token()["access_token"]
    emulator.faults.add("GET", "/user/status", Fault(drop=True), Fault(truncate=True))
    with pytest.raises(requests.ConnectionError):
        api(emulator, "/user/status", access)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api(emulator, "/user/status", access)


def test_the_secrets_api_requires_basic_auth(emulator: Emulator) -> None:
    secret_id = emulator.create_secret()
    workspace = emulator.platform.workspace_id
    url = f"{emulator.platform_url}/v2/workspaces/{workspace}/secrets/{secret_id}"
    assert requests.get(url, timeout=5).status_code == 401
    auth = (emulator.platform.username, emulator.platform.api_key)
    body = requests.get(url, auth=auth, timeout=5).json()
    assert body["data"]["attributes"]["credentials"]["access_token"]
    refreshed = requests.post(f"{url}/refresh", auth=auth, timeout=5).json()
    assert (
        refreshed["data"]["attributes"]["credentials"]["access_token"]
        != body["data"]["attributes"]["credentials"]["access_token"]
    )


def test_fault_options_from_the_command_line_cover_every_kind() -> None:
    method, pattern, outcomes = parse_fault_option(
        "GET /item/* 503,drop,delay:0.5,drip:0.1,truncate,malformed,pass"
    )
    assert (method, pattern) == ("GET", "/item/*")
    assert [o.label() for o in outcomes] == [
        "503",
        "drop",
        "delay 0.5s",
        "drip 0.1s",
        "truncate",
        "malformed",
        "pass",
    ]
    with pytest.raises(ValueError, match="an outcome is a status, drop"):
        parse_fault_option("GET /item/* explode")


def test_the_emulator_command_starts_with_faults_and_prints_a_credential() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "podio_component",
            "emulator",
            "--port",
            "0",
            "--fault",
            "GET /user/status 503",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not lines or lines[-1] != "}\n":
            lines.append(proc.stdout.readline())
        info = json.loads("".join(lines))
        token = info["cfg_with_inline_token"]["oauth"]["access_token"]
        url = f"{info['podio_api_url']}/user/status"
        auth = {"Authorization": f"OAuth2 {token}"}
        assert requests.get(url, headers=auth, timeout=5).status_code == 503
        assert requests.get(url, headers=auth, timeout=5).status_code == 200
        assert set(info["environment"]) >= {"PODIO_API_URL", "ELASTICIO_API_KEY"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_bad_fault_option_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "podio_component", "emulator", "--fault", "GET /x boom"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "an outcome is a status" in result.stderr


@pytest.mark.parametrize("path", ["/item/424242", "/no/such/route", "/user/status"])
def test_error_answers_carry_the_rate_limit_headers_too(emulator: Emulator, path: str) -> None:
    access = emulator.issue_token()["access_token"]
    for response in (api(emulator, path, access), api(emulator, path, "unknown-token")):
        assert response.headers["X-Rate-Limit-Limit"] == "1000"
        assert response.headers["X-Rate-Limit-Remaining"].isdigit()
        assert response.headers["X-Podio-Request-Id"]


def test_once_the_limit_is_hit_every_call_is_rate_limited(emulator: Emulator) -> None:
    emulator.world.limits.limited_rate_limit = 1
    access = emulator.issue_token()["access_token"]
    auth = {"Authorization": f"OAuth2 {access}"}
    url = f"{emulator.podio_url}/item/app/30/filter/"
    assert requests.post(url, json={}, headers=auth, timeout=5).status_code == 200
    assert requests.post(url, json={}, headers=auth, timeout=5).status_code == 420
    assert api(emulator, "/user/status", access).status_code == 420  # the other budget too


@pytest.mark.parametrize(
    "body",
    [
        {"fields": {"title": "Changed"}, "tags": "not-a-list"},
        {"fields": {"title": "Changed"}, "tags": [1, 2]},
        {"fields": ["title", "Changed"]},
        {"fields": {"title": "Changed", "stage": 99}},
    ],
)
def test_a_malformed_item_update_is_a_400_with_nothing_half_written(
    emulator: Emulator, body: dict[str, object]
) -> None:
    access = emulator.issue_token()["access_token"]
    response = requests.put(
        f"{emulator.podio_url}/item/5001",
        json=body,
        headers={"Authorization": f"OAuth2 {access}"},
        timeout=5,
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_value")
    item = emulator.world.items.view(5001)
    assert (item["title"], item["revision"]) == ("Analytical engine licence", 0)
    assert emulator.log.count("PUT", "/item/5001") == 1


@pytest.mark.parametrize(
    "params", [{"grant_type": "password", "username": 5, "password": "x"}, {"grant_type": 1}]
)
def test_non_text_values_at_the_token_endpoint_are_a_400(
    emulator: Emulator, params: dict[str, object]
) -> None:
    response = requests.post(
        f"{emulator.podio_url}/oauth/token", json={**CLIENT, **params}, timeout=5
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
    assert emulator.log.count("POST", "/oauth/token") == 1


def test_a_request_whose_handler_fails_is_answered_and_logged_once() -> None:
    def broken(request: Request) -> Response:
        raise RuntimeError("a bug in the emulator")

    log = RequestLog()
    app = FaultingApp("podio", broken, FaultPlan(), log, error_response)
    response = Client(app).get("/item/1")
    assert response.status_code == 500
    assert response.json is not None and response.json["error"] == "unavailable"
    assert [(e.path, e.status) for e in log.entries()] == [("/item/1", 500)]


def test_the_platform_side_takes_every_fault_kind(emulator: Emulator) -> None:
    secret_id = emulator.create_secret()
    workspace = emulator.platform.workspace_id
    path = f"/v2/workspaces/{workspace}/secrets/{secret_id}"
    auth = (emulator.platform.username, emulator.platform.api_key)
    emulator.faults.add(
        "GET", path, Fault(drop=True), Fault(truncate=True), Fault(malformed=True), Fault(delay=0.5)
    )
    url = emulator.platform_url + path
    with pytest.raises(requests.ConnectionError):
        requests.get(url, auth=auth, timeout=5)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url, auth=auth, timeout=5)
    with pytest.raises(requests.JSONDecodeError):
        requests.get(url, auth=auth, timeout=5).json()
    with pytest.raises(requests.ReadTimeout):
        requests.get(url, auth=auth, timeout=0.2)
    time.sleep(0.5)  # the delayed request is logged when it is answered
    assert [e.fault for e in emulator.log.entries()] == [
        "drop",
        "truncate",
        "malformed",
        "delay 0.5s",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "expected a port number from 0 to 65535"),
        (["--seed", "/nonexistent/seed.json"], "cannot read /nonexistent/seed.json"),
    ],
)
def test_bad_emulator_options_are_usage_errors(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "podio_component", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_seed_that_is_not_json_is_a_usage_error(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text("{not json")
    result = subprocess.run(
        [sys.executable, "-m", "podio_component", "emulator", "--seed", str(seed)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (result.returncode, "not valid JSON" in result.stderr) == (2, True)


def emulator_command(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podio_component", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        ("GET /x 99999", "a status must be from 100 to 599"),
        ("GET /x 0", "a status must be from 100 to 599"),
        ("GET /x -5", "an outcome is a status"),
        ("GET /x delay:-1", "delay needs a number of seconds from 0 to 3600"),
        ("GET /x delay:nan", "delay needs a number of seconds from 0 to 3600"),
        ("GET /x drip:-0.5", "drip needs a number of seconds from 0 to 3600"),
        ("FOO /x 503", "METHOD must be one of GET, POST"),
        ("GET user/status 503", "PATH must start with /"),
        ("GET /x", "expected 'METHOD PATH OUTCOME"),
    ],
)
def test_a_fault_the_emulator_cannot_carry_out_is_refused_with_exit_2(
    fault: str, problem: str
) -> None:
    result = emulator_command("--fault", fault)
    assert result.returncode == 2
    assert problem in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("seed", "problem"),
    [
        ([1], "the seed: Input should be a valid dictionary"),
        ({"clients": []}, "clients: List should have at least 1 item"),
        (
            {"clients": [{"client_id": "c", "client_secret": "s"}], "users": [{"user_id": 1}]},
            "users.0.profile_id: Field required",
        ),
        (
            {
                "clients": [{"client_id": "c", "client_secret": "s"}],
                "users": [
                    {"user_id": 1, "profile_id": 2, "mail": "m", "password": "p", "name": "n"}
                ],
                "items": [{"item_id": 1, "app_id": 99, "created_by": 1}],
            },
            "items.0.app_id: no app with id 99 in the seed",
        ),
    ],
)
def test_a_seed_of_the_wrong_shape_is_refused_with_exit_2_naming_the_place(
    tmp_path: Path, seed: object, problem: str
) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    result = emulator_command("--seed", str(path))
    assert result.returncode == 2
    assert problem in result.stderr
    assert "Traceback" not in result.stderr


def test_the_emulator_on_a_busy_port_is_one_error_line_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = emulator_command("--port", str(port))
    assert result.returncode == 1
    assert (
        result.stderr
        == f"error: cannot start the emulator on port {port}: Address already in use\n"
    )


@contextlib.contextmanager
def serving_into(target: Path, *args: str) -> Iterator[None]:
    """`podio-component emulator ARGS > target &`, until it says it is serving."""
    with target.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "podio_component", "emulator", "--port", "0", *args],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        assert proc.stderr is not None
        assert "emulator running" in proc.stderr.readline()
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_printed_environment_is_in_the_file_while_the_emulator_runs(tmp_path: Path) -> None:
    target = tmp_path / "env.json"
    with serving_into(target):
        info = json.loads(target.read_text())  # written before serving, not at exit
        assert info["podio_api_url"].startswith("http://127.0.0.1:")


def test_emulator_env_prints_export_lines_a_shell_can_source(tmp_path: Path) -> None:
    target = tmp_path / "podio.env"
    with serving_into(target, "--env"):
        sourced = subprocess.run(
            ["bash", "-c", f". {target} && env"],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": os.environ["PATH"]},
        ).stdout
        variables = dict(line.split("=", 1) for line in sourced.splitlines() if "=" in line)
        assert variables["PODIO_API_URL"].startswith("http://127.0.0.1:")
        assert variables["PODIO_CLIENT_ID"] == "emulator-client"
        assert "ELASTICIO_API_KEY" in variables
        assert set(json.loads(variables["EMULATOR_CFG"])) == {"secretId"}
        url = f"{variables['PODIO_API_URL']}/user/status"
        assert requests.get(url, timeout=5).status_code == 401  # it serves
        assert variables["ELASTICIO_OBJECT_STORAGE_URI"] == variables["ELASTICIO_API_URI"]
        assert variables["ELASTICIO_OBJECT_STORAGE_TOKEN"]
        hook = variables["ELASTICIO_FLOW_WEBHOOK_URI"]
        assert hook == f"{variables['ELASTICIO_API_URI']}/hook/emulator-flow"
        assert requests.post(hook, json={}, timeout=5).status_code == 404  # no flow running


def test_a_filter_call_counts_against_the_limited_class_and_the_general_budget(
    emulator: Emulator,
) -> None:
    token = emulator.issue_token()["access_token"]
    auth = {"Authorization": f"OAuth2 {token}"}
    url = f"{emulator.podio_url}/item/app/30/filter/"
    limited = requests.post(url, json={}, headers=auth, timeout=5)
    assert limited.headers["X-Rate-Limit-Limit"] == "250"
    assert limited.headers["X-Rate-Limit-Remaining"] == "249"
    general = requests.get(f"{emulator.podio_url}/user/status", headers=auth, timeout=5)
    assert general.headers["X-Rate-Limit-Remaining"] == "998"  # the filter call counted too


def test_a_comment_moves_last_event_on_but_not_the_last_edit(emulator: Emulator) -> None:
    items = emulator.world.items
    emulator.world.clock.freeze()
    before = items.view(5001)
    emulator.world.clock.advance(60)
    emulator.world.comments.create("item", 5001, {"value": "hello"})
    after = items.view(5001)
    assert after["last_event_on"] > before["last_event_on"]
    assert after["current_revision"] == before["current_revision"]


@pytest.mark.parametrize("reading", ["sideways", "inclusive,+15", "exclusive,abc"])
def test_a_filter_reading_the_emulator_cannot_play_is_refused_with_exit_2(reading: str) -> None:
    result = emulator_command("--filter-reading", reading)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --filter-reading: ")


def test_seed_ties_is_a_whole_number_and_is_printed_at_start() -> None:
    refused = emulator_command("--seed-ties", "-3")
    assert refused.returncode == 2
    assert "--seed-ties: expected a whole number" in refused.stderr
    with subprocess.Popen(
        [sys.executable, "-m", "podio_component", "emulator", "--port", "0", "--seed-ties", "99"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as running:
        try:
            assert running.stderr is not None
            assert "emulator running" in running.stderr.readline()
            assert "seed 99 (PODIO_EMULATOR_SEED=99 replays it)" in running.stderr.readline()
        finally:
            running.kill()
