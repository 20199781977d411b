"""`podio-component login` and `credentials`, each flow end to end against the emulator.

The command runs as a subprocess, as a person or a script runs it; the test plays the
browser over real loopback HTTP (the emulator's consent page, then Podio's redirect to the
command's callback server).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from podio_component.credentials.store import CredentialStore
from podio_component.emulator import Emulator
from podio_component.errors import UsageError
from podio_component.signin.callback import LoopbackServer, Redirect, checked_redirect
from tests.helpers import ROOT, read_only, save_credential

APP_TOKEN = "emulator-app-token-30"
ADA_PASSWORD = "analytical-engine"


class Login:
    """A running `podio-component login` whose stderr is read up to the authorize address."""

    def __init__(self, env: dict[str, str], *args: str, stdin: Any = subprocess.DEVNULL) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "podio_component", "login", *args],
            cwd=ROOT,
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.seen: list[str] = []
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.seen.append(line)
            if line.startswith("http"):
                self.url = line.strip()
                break
        else:
            raise AssertionError(f"no authorize address:\n{''.join(self.seen)}")
        query = parse_qs(urlsplit(self.url).query)
        self.redirect_uri = query["redirect_uri"][0]
        self.state = query["state"][0]

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, "".join(self.seen) + err


def consent(url: str, decision: str = "allow") -> str:
    """The person's browser at the emulator's consent page; returns where Podio sends it."""
    session = requests.Session()
    page = session.get(url, timeout=10)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    answer = session.post(
        url.split("?")[0], data={**fields, "decision": decision}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302
    return answer.headers["Location"]


def follow(location: str) -> requests.Response:
    """The browser following Podio's redirect; a fragment stays in the browser, so for the
    client-side flow this does what the callback page's script does: post it back."""
    address, _, fragment = location.partition("#")
    page = requests.get(address, timeout=10)
    if not fragment:
        return page
    assert "location.hash.slice(1)" in page.text and "method:'POST'" in page.text
    return requests.post(
        address,
        data=fragment,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )


def run(env: dict[str, str], *args: str, stdin: str = "") -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "podio_component", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def env(emulator: Emulator) -> dict[str, str]:
    return {**os.environ, **emulator.sign_in_environment()}


def stored_file(store: CredentialStore, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(store.path(name).read_text())
    return data


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


def port_closed(uri: str) -> bool:
    parts = urlsplit(uri)
    with socket.socket() as probe:
        return probe.connect_ex((parts.hostname or "", parts.port or 80)) != 0


# ---- server-side flow -------------------------------------------------------------------


def test_server_side_flow(env: dict[str, str], emulator: Emulator, store: CredentialStore) -> None:
    login = Login(env, "work", "--no-browser")
    page = follow(consent(login.url))
    assert page.status_code == 200
    assert "You can close this tab" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    code, out, err = login.finish()
    assert code == 0, err
    summary = json.loads(out)
    assert summary["name"] == "work"
    assert summary["grant"] == "server-side flow"
    assert emulator.log.count("POST", "/oauth/token") == 1
    saved = stored_file(store, "work")
    assert saved["grant"] == "authorization_code" and saved["client_secret"] is None
    assert saved["token"]["ref"] == {"type": "user", "id": 1001}
    assert_no_secret(out + err, emulator.platform.client_secret, saved["token"]["access_token"])
    assert_no_secret(out + err, saved["token"]["refresh_token"])
    assert f"Credential work is saved in {store.path('work')}" in err
    assert port_closed(login.redirect_uri)


def test_a_forged_callback_is_refused_and_the_sign_in_goes_on(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    login = Login(env, "work", "--no-browser")
    callback = login.redirect_uri
    for query in ({"code": "forged-code"}, {"code": "forged-code", "state": "guess"}):
        forged = requests.get(callback, params=query, timeout=10)
        assert forged.status_code == 400
        assert "does not belong to the sign-in that is waiting" in forged.text
    denied = requests.get(callback, params={"error": "access_denied"}, timeout=10)
    assert denied.status_code == 400  # a forged refusal cannot abort it either
    follow(consent(login.url))
    code, _, err = login.finish()
    assert code == 0, err
    assert err.count("refused a sign-in answer with a missing or wrong state") == 3
    assert emulator.log.count("POST", "/oauth/token") == 1  # the real code, once
    assert port_closed(callback)


def test_access_denied_is_reported_and_nothing_is_saved(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    login = Login(env, "work", "--no-browser")
    page = follow(consent(login.url, "deny"))
    assert "The sign-in was not completed" in page.text
    code, out, err = login.finish()
    assert code == 1 and out == ""
    assert err.endswith(
        "error: the sign-in was not granted in the browser (access_denied: The user denied "
        "your request.); nothing was saved\n"
    )
    assert emulator.log.count("POST", "/oauth/token") == 0
    assert not store.path("work").exists()


def test_the_wait_times_out_cleanly(env: dict[str, str], store: CredentialStore) -> None:
    login = Login(env, "work", "--no-browser", "--timeout", "1")
    code, _out, err = login.finish()
    assert code == 1
    assert err.endswith("error: no answer from the browser within 1 s; nothing was saved\n")
    assert port_closed(login.redirect_uri)
    assert not store.directory.exists() or store.names() == []


def test_ctrl_c_stops_the_wait_and_leaves_nothing_behind(
    env: dict[str, str], store: CredentialStore
) -> None:
    login = Login(env, "work", "--no-browser")
    login.process.send_signal(signal.SIGINT)
    code, _out, err = login.finish()
    assert code == 130
    assert err.endswith("error: login interrupted; nothing was saved\n")
    assert port_closed(login.redirect_uri)
    assert not store.directory.exists() or store.names() == []


def test_the_address_the_browser_ended_on_can_be_pasted(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    login = Login(env, "work", "--no-browser", stdin=subprocess.PIPE)
    assert login.process.stdin is not None
    login.process.stdin.write("http://wrong.example/callback?code=abc&state=nope\n")
    login.process.stdin.write(consent(login.url) + "\n")  # the browser could not reach it
    login.process.stdin.flush()
    code, _, err = login.finish()
    assert code == 0, err
    assert "does not belong to the sign-in that is waiting" in err
    assert store.load("work").grant == "authorization_code"


def test_a_registered_redirect_uri_is_used_as_given(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    uri = f"http://localhost:{port}/podio/back"
    login = Login(env, "work", "--no-browser", "--redirect-uri", uri)
    assert login.redirect_uri == uri
    location = consent(login.url)
    assert location.startswith(uri + "?code=")
    assert follow(location).status_code == 200
    assert login.finish()[0] == 0


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://192.0.2.1:8000/cb", "must lead back to this machine, but 192.0.2.1 resolves"),
        ("https://localhost:8000/cb", "must look like http://NAME:PORT/PATH"),
        ("http://localhost:8000/cb?x=1", "must look like http://NAME:PORT/PATH"),
        # browsers and urllib3 read the host as evil.example; Python's parser, as 127.0.0.1
        ("http://evil.example\\@127.0.0.1:8000/callback", "must look like http://NAME:PORT/"),
        ("http://user@127.0.0.1:8000/callback", "must look like http://NAME:PORT/PATH"),
        ("http://127.0.0.1:8000/%2e%2e/callback", "must look like http://NAME:PORT/PATH"),
        ("http://127.0.0.1:8000/callback ", "must look like http://NAME:PORT/PATH"),
        # another loopback address: the callback server listens on 127.0.0.1 only
        ("http://127.0.0.2:8000/callback", "but 127.0.0.2 resolves to 127.0.0.2"),
        ("http://[::1]:8000/callback", "must look like http://NAME:PORT/PATH"),
        # addresses the browser could never come back to
        ("http://127.0.0.1:8000/a/../callback", "without . or .. segments"),
        ("http://127.0.0.1:8000/callback#", "must look like http://NAME:PORT/PATH"),
        ("http://127.0.0.1:0/callback", "PORT from 1 to 65535"),
        ("http://127.0.0.1:65536/callback", "PORT from 1 to 65535"),
        ("http://127.0.0.1/callback", "must look like http://NAME:PORT/PATH"),
    ],
)
def test_a_redirect_uri_that_does_not_lead_here_is_a_usage_error(
    env: dict[str, str], uri: str, message: str
) -> None:
    code, _out, err = run(env, "login", "work", "--redirect-uri", uri)
    assert code == 2
    assert err.startswith("error: --redirect-uri ")
    assert message in err


@pytest.mark.parametrize(
    ("addresses", "accepted"),
    [
        ({"127.0.0.1"}, True),
        ({"127.0.0.1", "2001:db8::1"}, False),  # a public IPv6 address beside loopback
        ({"127.0.0.1", "::1"}, False),  # the server does not listen on ::1
        ({"127.0.0.1", "127.0.1.1"}, False),
        (set(), False),
    ],
)
def test_every_address_of_a_redirect_name_ipv4_and_ipv6_must_be_127_0_0_1(
    addresses: set[str], accepted: bool
) -> None:
    def resolve(host: str) -> set[str]:
        assert host == "signin.example"
        return addresses

    uri = "http://signin.example:8765/callback"
    if accepted:
        assert checked_redirect(uri, resolve) == Redirect(uri, 8765, "/callback")
    else:
        with pytest.raises(UsageError, match="--redirect-uri must lead back to this machine"):
            checked_redirect(uri, resolve)


def test_the_callback_server_queues_a_burst_of_connections_instead_of_refusing_them() -> None:
    server = LoopbackServer(("127.0.0.1", 0), BaseHTTPRequestHandler)  # not accepting yet
    port = server.server_address[1]
    sockets = [socket.socket() for _ in range(100)]
    try:
        for one in sockets:
            one.settimeout(2)
            one.connect(("127.0.0.1", port))  # a backlog of 5 would time out from the 7th
    finally:
        for one in sockets:
            one.close()
        server.server_close()


def test_login_into_a_read_only_store_fails_before_the_browser(
    env: dict[str, str], store: CredentialStore
) -> None:
    store.directory.mkdir(mode=0o700)
    with read_only(store.directory):
        code, out, err = run(env, "login", "work", "--no-browser")
    assert code == 1
    assert out == ""
    assert "http" not in err.replace(str(store.directory), "")  # no authorize address
    assert err.startswith(f"error: the credential store {store.directory} cannot be written")
    assert "PODIO_CREDENTIALS_DIR" in err
    assert "Traceback" not in err


def test_refresh_and_delete_in_a_read_only_store_are_one_clear_error(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    save_credential(store, emulator, "work")
    with read_only(store.directory):
        for args in (("login", "work", "--refresh"), ("credentials", "delete", "work")):
            code, _out, err = run(env, *args)
            assert code == 1, args
            assert err.startswith(f"error: the credential store {store.directory} cannot be")
            assert "Traceback" not in err
    assert store.load("work").name == "work"


def test_a_bad_podio_credential_names_the_variable(env: dict[str, str]) -> None:
    code, _out, err = run({**env, "PODIO_CREDENTIAL": "../escape"}, "verify")
    assert code == 2
    assert err.startswith("error: Invalid PODIO_CREDENTIAL: got '../escape'")


# ---- client-side flow -------------------------------------------------------------------


def test_client_side_flow_needs_no_secret_and_says_it_cannot_be_refreshed(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    del env["PODIO_CLIENT_SECRET"]
    login = Login(env, "browser", "--client-side", "--no-browser")
    location = consent(login.url)
    assert "#access_token=" in location
    page = requests.get(location.partition("#")[0], timeout=10)
    assert "script-src 'sha256-" in page.headers["Content-Security-Policy"]
    answer = follow(location)
    assert answer.status_code == 200 and "You can close this tab" in answer.text
    code, out, err = login.finish()
    assert code == 0, err
    summary = json.loads(out)
    assert summary["renewal"] == (
        "sign in again before it expires: Podio offers no refresh for this flow"
    )
    assert summary["refresh_token"] is None
    saved = stored_file(store, "browser")
    assert saved["grant"] == "client_side"
    assert "refresh_token" not in saved["token"]
    assert emulator.log.count("POST", "/oauth/token") == 0
    fragment = parse_qs(location.partition("#")[2])
    assert saved["token"]["access_token"] == fragment["access_token"][0]
    code, _, err = run(env, "login", "browser", "--refresh")
    assert code == 1
    assert "came from the client-side flow, which Podio does not refresh" in err


def test_with_javascript_off_the_callback_page_says_to_paste_the_address_which_works(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    login = Login(env, "browser", "--client-side", "--no-browser", stdin=subprocess.PIPE)
    location = consent(login.url)
    page = requests.get(location.partition("#")[0], timeout=10).text  # no script runs
    (noscript,) = re.findall(r"<noscript>(.*?)</noscript>", page)
    assert "paste it into the terminal where podio-component is waiting" in noscript
    assert login.process.stdin is not None
    login.process.stdin.write(location + "\n")  # what the page asked the person to do
    login.process.stdin.flush()
    code, _, err = login.finish()
    assert code == 0, err
    assert store.load("browser").grant == "client_side"


# ---- app and password -------------------------------------------------------------------


def test_app_authentication(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    code, out, err = run(env, "login", "app30", "--app", "30", "--app-token-stdin", stdin=APP_TOKEN)
    assert code == 0, err
    assert json.loads(out)["ref"] == {"type": "app", "id": 30}
    assert APP_TOKEN not in store.path("app30").read_text()
    assert_no_secret(out + err, APP_TOKEN, emulator.platform.client_secret)


def test_a_wrong_app_token_is_refused_and_nothing_is_saved(
    env: dict[str, str], store: CredentialStore
) -> None:
    code, _out, err = run(env, "login", "app30", "--app", "30", "--app-token-stdin", stdin="nope1")
    assert code == 1
    assert err == (
        "error: Podio refused the app id and app token of app 30 (invalid_grant: invalid "
        "app_id or app_token)\n"
    )
    assert not store.path("app30").exists()


def test_password_sign_in_never_keeps_the_password(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    code, out, err = run(
        env,
        "login",
        "ada",
        "--username",
        "ada@example.com",
        "--password-stdin",
        "--save-client-secret",
        stdin=ADA_PASSWORD + "\n",
    )
    assert code == 0, err
    text = store.path("ada").read_text()
    assert ADA_PASSWORD not in text
    assert json.loads(text)["client_secret"] == emulator.platform.client_secret  # asked for
    assert json.loads(out)["renewal"] == "refreshed automatically"
    assert_no_secret(out + err, ADA_PASSWORD, emulator.platform.client_secret)


def test_two_factor_sign_in_asks_for_the_one_time_code(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    args = ("login", "kj", "--username", "katherine@example.com", "--password-stdin")
    code, out, err = run(env, *args, stdin="orbital-1962\n000000\n")
    assert code == 1
    assert err == (
        "error: Podio refused the one-time code (invalid_second_factor: the one-time code "
        "is wrong)\n"
    )
    assert not store.path("kj").exists()
    code, out, err = run(env, *args, stdin="orbital-1962\n314159\n")
    assert code == 0, err
    assert json.loads(out)["ref"] == {"type": "user", "id": 1003}
    assert emulator.log.count("POST", "/mfa/verify") == 2
    assert_no_secret(out + err + store.path("kj").read_text(), "orbital-1962", "314159")


def test_the_password_prompt_does_not_echo(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    import pty

    pid, terminal = pty.fork()
    if pid == 0:  # the child: the command with the pseudo-terminal as its terminal
        os.chdir(ROOT)
        os.execve(  # noqa: S606
            sys.executable,
            [
                sys.executable,
                "-m",
                "podio_component",
                "login",
                "ada",
                "--username",
                "ada@example.com",
            ],
            env,
        )
    seen = b""
    while b"Password:" not in seen:
        seen += os.read(terminal, 1024)
    os.write(terminal, (ADA_PASSWORD + "\n").encode())
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen.decode(errors="replace")
    assert ADA_PASSWORD.encode() not in seen
    assert store.load("ada").grant == "password"


def test_a_failed_sign_in_keeps_the_credential_it_would_replace(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    before = save_credential(store, emulator, "ada")
    code, _, err = run(
        env, "login", "ada", "--username", "ada@example.com", "--password-stdin", stdin="wrong\n"
    )
    assert code == 1
    assert "Podio refused the username and password (invalid_client: invalid_auth)" in err
    assert store.load("ada") == before


# ---- refresh, credentials, run ----------------------------------------------------------


def test_refresh_on_demand(env: dict[str, str], emulator: Emulator, store: CredentialStore) -> None:
    before = save_credential(store, emulator, "work", keep_secret=False)
    code, out, err = run(env, "login", "work", "--refresh")
    assert code == 0, err
    after = store.load("work")
    assert after.access_token != before.access_token
    assert json.loads(out)["access_token"] == f"{after.access_token[:4]}… (64 characters)"
    code, _, err = run(env, "login", "work", "--refresh")
    assert code == 0, err  # the rotated refresh token was kept


def test_a_refused_refresh_changes_nothing(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    saved = save_credential(store, emulator, "work")
    broken = saved.model_copy(update={"token": {**saved.token, "refresh_token": "y" * 64}})
    store.save(broken)
    code, _out, err = run(env, "login", "work", "--refresh")
    assert code == 1
    assert err == (
        "error: Podio refused the refresh token of credential work (invalid_grant: invalid or "
        "expired refresh token) (the refresh token has expired or was already used); "
        "credential work was left as it was: sign in again: podio-component login work\n"
    )
    assert store.load("work") == broken


def test_credentials_list_show_delete(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    work = save_credential(store, emulator, "work")
    save_credential(store, emulator, "home")
    code, out, _ = run(env, "credentials", "list")
    assert code == 0
    assert [c["name"] for c in json.loads(out)] == ["home", "work"]
    code, out, _ = run(env, "credentials", "show", "work")
    assert json.loads(out)["expired"] is False
    assert_no_secret(out, work.access_token, str(work.refresh_token), str(work.client_secret))
    assert run(env, "credentials", "delete", "home")[0] == 0
    assert store.names() == ["work"]
    code, out, err = run(env, "credentials", "show", "home")
    assert code == 1 and err.startswith("error: no credential named home in ")


def test_run_and_verify_with_a_stored_credential(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    save_credential(store, emulator, "work", mail="grace@example.com")
    msg = json.dumps({"body": {"method": "GET", "url": "/user/"}})
    code, out, err = run(env, "run", "makeRawRequest", "--credential", "work", "--msg", msg)
    assert code == 0, err
    assert json.loads(out)["body"]["responseBody"]["mail"] == "grace@example.com"
    code, out, err = run({**env, "PODIO_CREDENTIAL": "work"}, "verify")
    assert (code, json.loads(out)) == (0, {"verified": True})
    # cfg that names a credential itself wins over --credential
    secret_cfg = json.dumps({"oauth": {"access_token": "rejected-token-000"}})
    code, out, err = run(
        env, "run", "makeRawRequest", "--credential", "work", "--cfg", secret_cfg, "--msg", msg
    )
    assert code == 1 and "Podio rejected the access token in cfg.oauth" in err


def test_debug_logs_of_a_refresh_hold_no_secret(
    env: dict[str, str], emulator: Emulator, store: CredentialStore
) -> None:
    before = save_credential(store, emulator, "work", expires_in=10)
    msg = json.dumps({"body": {"method": "GET", "url": "/user/"}})
    debug = {**env, "LOG_LEVEL": "debug"}
    code, out, err = run(debug, "run", "makeRawRequest", "--credential", "work", "--msg", msg)
    assert code == 0, err
    assert "refreshed credential work" in err
    code, out2, err2 = run(debug, "login", "work", "--refresh")
    assert code == 0, err2
    after = store.load("work")
    secrets = (before.access_token, before.refresh_token, after.access_token, after.refresh_token)
    assert_no_secret(out + err + out2 + err2, emulator.platform.client_secret, *map(str, secrets))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("login", "../x"), "Invalid credential name"),
        (("login", "w", "--password-stdin"), "--password-stdin cannot be used"),
        (("login", "w", "--client-side", "--save-client-secret"), "--save-client-secret cannot"),
        (("login", "w", "--app", "30", "--username", "a@b.c"), "not allowed with argument"),
        (("login", "w", "--app", "0"), "expected a positive whole number"),
        (("login", "w", "--timeout", "soon"), "expected a number of seconds"),
        (("credentials", "show", "a/b"), "Invalid credential name"),
        (("run", "makeRawRequest", "--msg", "{}"), "run needs --cfg, --credential NAME"),
    ],
)
def test_usage_errors_exit_2(env: dict[str, str], args: tuple[str, ...], message: str) -> None:
    code, _out, err = run(env, *args)
    assert code == 2, err
    assert message in err


def test_without_a_client_id_or_a_terminal_the_error_says_what_to_do(
    env: dict[str, str],
) -> None:
    no_id = {k: v for k, v in env.items() if k != "PODIO_CLIENT_ID"}
    code, _, err = run(no_id, "login", "w", "--username", "a@example.com", "--password-stdin")
    assert (code, err) == (
        2,
        "error: login needs the API key's client id: --client-id ID or PODIO_CLIENT_ID\n",
    )
    code, _, err = run(env, "login", "w", "--username", "ada@example.com")
    assert (code, err) == (
        2,
        "error: no terminal to ask for the password: pass --password-stdin\n",
    )
    no_secret = {k: v for k, v in env.items() if k != "PODIO_CLIENT_SECRET"}
    code, _, err = run(no_secret, "login", "w", "--app", "30", "--app-token-stdin")
    assert code == 2
    assert "set PODIO_CLIENT_SECRET (a command-line flag would show in ps)" in err
