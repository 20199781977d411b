"""A stored credential as the third token source: precedence, proactive and reactive refresh,
single flight across threads and processes, and what a failed save leaves behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from contextlib import AbstractContextManager
from typing import Any

import pytest

from podio_component.actions.make_raw_request import process
from podio_component.context import Context, bound
from podio_component.contract import events
from podio_component.credentials import connect, forget_credentials
from podio_component.credentials.store import CredentialStore
from podio_component.emulator import Emulator, Fault
from podio_component.errors import CredentialsError, ReauthenticateError
from tests.helpers import ROOT, SetEnv, read_only, save_credential

REFRESHES = ("POST", "/oauth/token")


def status(cfg: dict[str, Any]) -> dict[str, Any]:
    output: dict[str, Any] = process(
        {"body": {"method": "GET", "url": "/user/status"}}, {"retries": "0", **cfg}
    )["body"]
    return output


def test_cfg_credential_selects_a_stored_credential(
    emulator: Emulator, store: CredentialStore
) -> None:
    save_credential(store, emulator, "work", mail="grace@example.com")
    output = status({"credential": "work"})
    assert output["responseBody"]["user"]["mail"] == "grace@example.com"
    assert emulator.log.count(*REFRESHES) == 0


def test_secret_id_wins_over_credential_which_wins_over_oauth(
    emulator: Emulator, store: CredentialStore
) -> None:
    save_credential(store, emulator, "work", mail="grace@example.com")
    secret_id = emulator.create_secret()  # Ada's
    both = status({"secretId": secret_id, "credential": "no-such-credential"})
    assert both["responseBody"]["user"]["mail"] == "ada@example.com"
    stored = status({"credential": "work", "oauth": {"access_token": "not-a-real-token-1234"}})
    assert stored["responseBody"]["user"]["mail"] == "grace@example.com"


def test_a_token_near_its_expiry_is_refreshed_and_saved_before_it_is_used(
    emulator: Emulator, store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = save_credential(store, emulator, "work", expires_in=60)  # within the 300 s margin
    saved_at: list[float] = []
    real_save = CredentialStore.save

    def save(self: CredentialStore, credential: Any) -> None:
        real_save(self, credential)
        saved_at.append(time.time())

    monkeypatch.setattr(CredentialStore, "save", save)
    assert status({"credential": "work"})["statusCode"] == 200
    assert emulator.log.count(*REFRESHES) == 1
    new = store.load("work")
    assert new.access_token != old.access_token
    assert new.refresh_token != old.refresh_token  # the emulator rotates refresh tokens
    assert 28_000 < new.expires_in() <= 28_800
    (request,) = [e for e in emulator.log.entries() if e.path == "/user/status"]
    (saved,) = saved_at
    assert saved <= request.at


def test_a_failed_refresh_of_a_still_valid_token_warns_and_goes_ahead(
    emulator: Emulator, store: CredentialStore, caplog: pytest.LogCaptureFixture
) -> None:
    old = save_credential(store, emulator, "work", expires_in=60)
    emulator.faults.add("POST", "/oauth/token", Fault(status=503))
    assert status({"credential": "work"})["statusCode"] == 200
    assert store.load("work") == old
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert warning.getMessage() == (
        "could not refresh credential work ahead of its expiry (Podio's token endpoint "
        "answered HTTP 503 for the refresh token of credential work); using its current "
        "token, which expires in 60 s"
    )


def test_an_expired_token_whose_refresh_is_refused_asks_to_sign_in_again(
    emulator: Emulator, store: CredentialStore
) -> None:
    saved = save_credential(store, emulator, "work", expires_in=-1)
    broken = saved.model_copy(update={"token": {**saved.token, "refresh_token": "x" * 64}})
    store.save(broken)
    with pytest.raises(ReauthenticateError) as caught:
        status({"credential": "work"})
    assert caught.value.message == (
        "credential work could not be used: it has expired, and it could not be refreshed: "
        "Podio refused the refresh token of credential work (invalid_grant: invalid or "
        "expired refresh token) (the refresh token has expired or was already used); sign in "
        "again: podio-component login work"
    )
    assert emulator.log.count("GET", "/user/status") == 0
    assert store.load("work") == broken


def test_an_expired_token_and_podio_unreachable_may_be_tried_later(
    emulator: Emulator, store: CredentialStore
) -> None:
    save_credential(store, emulator, "work", expires_in=-1)
    emulator.faults.add("POST", "/oauth/token", Fault(drop=True))
    with pytest.raises(CredentialsError) as caught:
        status({"credential": "work"})
    assert caught.value.retry_later
    assert "it has expired, and refreshing it failed: could not reach Podio" in str(caught.value)


def test_without_a_client_secret_the_error_says_where_to_put_one(
    emulator: Emulator, store: CredentialStore, setenv: SetEnv
) -> None:
    save_credential(store, emulator, "work", expires_in=-1, keep_secret=False)
    with pytest.raises(ReauthenticateError, match="set PODIO_CLIENT_SECRET, or sign in again"):
        status({"credential": "work"})
    setenv("PODIO_CLIENT_SECRET", emulator.platform.client_secret)
    forget_credentials()
    assert status({"credential": "work"})["statusCode"] == 200
    assert emulator.log.count(*REFRESHES) == 1


def test_a_rejected_token_is_refreshed_once_and_the_request_replayed(
    emulator: Emulator, store: CredentialStore
) -> None:
    save_credential(store, emulator, "work")
    emulator.world.expire_all_tokens()  # Podio says 401 although the store thinks it is valid
    assert status({"credential": "work"})["statusCode"] == 200
    assert emulator.log.count(*REFRESHES) == 1
    assert emulator.log.count("GET", "/user/status") == 2


def test_a_token_from_another_podio_is_never_sent(
    emulator: Emulator, store: CredentialStore, setenv: SetEnv
) -> None:
    save_credential(store, emulator, "work")
    other = Emulator().start()
    try:
        setenv("PODIO_API_URL", other.podio_url)
        with pytest.raises(CredentialsError, match=r"was issued by http://127\.0\.0\.1:"):
            status({"credential": "work"})
        assert other.log.entries() == []
    finally:
        other.stop()


def test_many_threads_on_an_expired_credential_make_one_refresh(
    emulator: Emulator, store: CredentialStore
) -> None:
    save_credential(store, emulator, "work", expires_in=-1)
    results: list[int] = []
    start = threading.Barrier(16)

    def call() -> None:
        start.wait()
        results.append(status({"credential": "work"})["statusCode"])

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [200] * 16
    assert emulator.log.count(*REFRESHES) == 1


RACER = """
import json, sys, threading
from podio_component.actions.make_raw_request import process
start = threading.Barrier(8)
codes = []
def call():
    start.wait()
    msg = {"body": {"method": "GET", "url": "/user/status"}}
    codes.append(process(msg, {"credential": "work", "retries": "0"})["body"]["statusCode"])
threads = [threading.Thread(target=call) for _ in range(8)]
sys.stdin.readline()  # both processes start their threads together
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(codes))
"""


def test_two_processes_racing_on_an_expired_credential_make_one_refresh(
    emulator: Emulator, store: CredentialStore
) -> None:
    save_credential(store, emulator, "work", expires_in=-1)
    env = {**os.environ, **emulator.environment()}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1)  # both imported and waiting
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write("go\n")
        racer.stdin.flush()
    outputs = [racer.communicate(timeout=60)[0] for racer in racers]
    assert [json.loads(out) for out in outputs] == [[200] * 8, [200] * 8]
    assert emulator.log.count(*REFRESHES) == 1


def test_a_failed_save_fails_the_request_keeps_the_file_and_the_new_token(
    emulator: Emulator, store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = save_credential(store, emulator, "work", expires_in=60)

    def disk_full(source: Any, target: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(CredentialsError) as caught:
        status({"credential": "work"})
    assert caught.value.message == (
        "Podio issued a new token for credential work but it could not be saved to "
        f"{store.path('work')} (No space left on device); if Podio also replaced the refresh "
        "token, sign in again: podio-component login work"
    )
    monkeypatch.undo()
    assert store.load("work") == old
    assert emulator.log.count(*REFRESHES) == 1
    assert emulator.log.count("GET", "/user/status") == 0
    # This process goes on with the token it got; the file still holds a working one.
    assert status({"credential": "work"})["statusCode"] == 200
    forget_credentials()  # as a new process would
    assert status({"credential": "work"})["statusCode"] == 200  # old token, refresh refused
    assert emulator.log.count(*REFRESHES) == 2


def test_a_failed_save_then_expiry_asks_to_sign_in_again(
    emulator: Emulator, store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_credential(store, emulator, "work", expires_in=-1)
    monkeypatch.setattr(os, "replace", lambda *args: (_ for _ in ()).throw(OSError(5, "EIO")))
    with pytest.raises(CredentialsError, match="could not be saved"):
        status({"credential": "work"})
    monkeypatch.undo()
    forget_credentials()
    with pytest.raises(ReauthenticateError, match="sign in again: podio-component login work"):
        status({"credential": "work"})


def on_platform(sink: Sink) -> AbstractContextManager[Context]:
    """As the platform runtime runs an action: its events go to sink."""
    return bound(Context(events=sink, on_platform=True))


class Sink:
    def __init__(self, refuse: bool = False) -> None:
        self.keys: list[dict[str, Any]] = []
        self.refuse = refuse

    def data(self, message: dict[str, Any]) -> None:
        pass

    def snapshot(self, snapshot: dict[str, Any]) -> None:
        pass

    def update_snapshot(self, changes: dict[str, Any]) -> None:
        pass

    def update_keys(self, keys: dict[str, Any]) -> None:
        if self.refuse:
            raise events.UpdateKeysError("the platform did not store the new keys: HTTP 400")
        self.keys.append(keys)


def test_the_platform_runtime_never_reads_the_local_store(
    emulator: Emulator, store: CredentialStore
) -> None:
    save_credential(store, emulator, "work")
    with on_platform(Sink()), pytest.raises(CredentialsError) as caught:
        connect({"credential": "work"})
    assert caught.value.message == (
        "cfg.credential names a credential in a local store, which the platform runtime "
        "never reads; select a platform credential (secretId) for this step"
    )


def legacy_cfg(emulator: Emulator) -> dict[str, Any]:
    token = emulator.issue_token()
    emulator.world.expire_all_tokens()
    return {
        "oauth": {"access_token": token["access_token"], "refresh_token": token["refresh_token"]}
    }


def client_env(emulator: Emulator, setenv: SetEnv) -> None:
    setenv("PODIO_CLIENT_ID", emulator.client_id)
    setenv("PODIO_CLIENT_SECRET", emulator.platform.client_secret)


def test_an_inline_token_is_not_refreshed_outside_the_runtime(
    emulator: Emulator, setenv: SetEnv
) -> None:
    client_env(emulator, setenv)
    with pytest.raises(ReauthenticateError) as caught:
        status(legacy_cfg(emulator))
    assert caught.value.message == (
        "Podio rejected the access token in cfg.oauth (HTTP 401); it is refreshed only under "
        "the platform runtime, which can keep the new one: re-authenticate this credential "
        "(outside the platform, sign in with `podio-component login NAME` and use "
        "--credential NAME)"
    )
    assert emulator.log.count(*REFRESHES) == 0


def test_under_the_runtime_an_inline_token_is_refreshed_and_handed_to_the_platform(
    emulator: Emulator, setenv: SetEnv
) -> None:
    client_env(emulator, setenv)
    cfg = legacy_cfg(emulator)
    sink = Sink()
    with on_platform(sink):
        assert status(cfg)["statusCode"] == 200
        assert status(cfg)["statusCode"] == 200  # the next message uses the new token
    (keys,) = sink.keys
    new = keys["oauth"]
    assert set(new) >= {"access_token", "refresh_token", "expires_in"}
    assert new["access_token"] != cfg["oauth"]["access_token"]
    assert emulator.log.count(*REFRESHES) == 1
    assert emulator.log.count("GET", "/user/status") == 3


def test_keys_the_platform_refuses_fail_the_message_but_the_new_token_is_kept(
    emulator: Emulator, setenv: SetEnv
) -> None:
    client_env(emulator, setenv)
    cfg = legacy_cfg(emulator)
    with on_platform(Sink(refuse=True)):
        with pytest.raises(CredentialsError) as caught:
            status(cfg)
        assert status(cfg)["statusCode"] == 200
    assert caught.value.message.startswith(
        "Podio issued a new token for cfg.oauth (its refresh token may have been replaced "
        "too), but the platform did not store it: the platform did not store the new keys: "
        "HTTP 400. This process keeps using the new token"
    )
    assert emulator.log.count(*REFRESHES) == 1


def test_without_client_credentials_the_inline_refresh_says_what_to_configure(
    emulator: Emulator,
) -> None:
    with on_platform(Sink()), pytest.raises(ReauthenticateError) as caught:
        status(legacy_cfg(emulator))
    assert caught.value.message == (
        "Podio rejected the access token in cfg.oauth (HTTP 401); refreshing it needs the "
        "PODIO_CLIENT_ID environment variable and the PODIO_CLIENT_SECRET environment "
        "variable; set them, or re-authenticate this credential"
    )


def test_a_client_side_token_is_used_to_its_end_then_asks_for_a_new_sign_in(
    emulator: Emulator, store: CredentialStore, caplog: pytest.LogCaptureFixture
) -> None:
    saved = save_credential(store, emulator, "browser", expires_in=60)
    token = {k: v for k, v in saved.token.items() if k != "refresh_token"}
    store.save(saved.model_copy(update={"grant": "client_side", "token": token}))
    assert status({"credential": "browser"})["statusCode"] == 200
    assert emulator.log.count(*REFRESHES) == 0
    assert [r for r in caplog.records if r.levelname == "WARNING"] == []
    store.save(store.load("browser").model_copy(update={"expires_at": time.time() - 1}))
    forget_credentials()
    with pytest.raises(ReauthenticateError) as caught:
        status({"credential": "browser"})
    assert caught.value.message.endswith(
        "sign in again: podio-component login browser --client-side"
    )
    assert emulator.log.count(*REFRESHES) == 0


def test_a_read_only_store_skips_the_refresh_ahead_of_expiry_and_goes_ahead(
    emulator: Emulator, store: CredentialStore, caplog: pytest.LogCaptureFixture
) -> None:
    old = save_credential(store, emulator, "work", expires_in=60)
    with read_only(store.directory):
        assert status({"credential": "work"})["statusCode"] == 200
    assert emulator.log.count(*REFRESHES) == 0  # nothing Podio issued is lost
    assert store.load("work") == old
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "could not refresh credential work ahead of its expiry" in warning.getMessage()
    assert "cannot be written" in warning.getMessage()


def test_a_read_only_store_and_an_expired_token_is_a_clear_error(
    emulator: Emulator, store: CredentialStore
) -> None:
    save_credential(store, emulator, "work", expires_in=-1)
    with read_only(store.directory), pytest.raises(CredentialsError) as caught:
        status({"credential": "work"})
    assert f"the credential store {store.directory} cannot be written" in caught.value.message
    assert emulator.log.count(*REFRESHES) == 0
