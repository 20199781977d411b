"""Many threads, one credential: one refresh; two credentials never share a token."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from podio_component.actions.make_raw_request import process
from podio_component.emulator import Emulator


def call(cfg: dict[str, Any], url: str = "/user/status") -> dict[str, Any]:
    body: dict[str, Any] = process({"body": {"method": "GET", "url": url}}, cfg)["body"]
    return body


def test_threads_that_hit_an_expired_token_at_once_share_one_refresh(emulator: Emulator) -> None:
    cfg = {"secretId": emulator.create_secret(fields={"retries": "0"})}
    call(cfg)
    emulator.world.expire_all_tokens()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: call(cfg), range(32)))
    assert {r["statusCode"] for r in results} == {200}
    assert emulator.log.count("POST", "/v2/workspaces/*/secrets/*/refresh") == 1
    assert emulator.log.count("POST", "/oauth/token") == 1


def test_two_credentials_in_one_process_never_see_each_others_token(emulator: Emulator) -> None:
    ada = {"secretId": emulator.create_secret("ada@example.com")}
    grace = {"oauth": {"access_token": emulator.issue_token("grace@example.com")["access_token"]}}
    cfgs = [ada, grace] * 20
    with ThreadPoolExecutor(max_workers=8) as pool:
        mails = list(pool.map(lambda cfg: call(cfg)["responseBody"]["user"]["mail"], cfgs))
    assert mails == ["ada@example.com", "grace@example.com"] * 20
