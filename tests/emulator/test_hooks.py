"""The emulated Podio's webhooks and revisions, over loopback HTTP: the verify flow, deliveries
as Podio makes them (form-encoded, the URL's query in the body, after the call, once), the cap
and ports, the readings the reference leaves open, the delivery faults, and the revision
routes with both numberings."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

from podio_component.emulator import Emulator
from tests.helpers import PodioApi


class Receiver(ThreadingHTTPServer):
    """A hook URL: every POST's form kept, answered with `status` after `pause` seconds; and
    every request's Authorization header (a GET answers a few bytes)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []
        self.authorizations: list[str | None] = []
        self.status = 200
        self.pause = 0.0
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook/flow-1"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_GET(self) -> None:
        self.server.authorizations.append(self.headers.get("Authorization"))
        self.send_response(200)
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"%PDF")

    def do_POST(self) -> None:
        self.server.authorizations.append(self.headers.get("Authorization"))
        assert self.headers.get_content_type() == "application/x-www-form-urlencoded"
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
        self.server.forms.append(dict(form))
        time.sleep(self.server.pause)
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.shutdown()


@pytest.fixture
def api(emulator: Emulator) -> PodioApi:
    return PodioApi(emulator)


def hook(api: PodioApi, url: str, kind: str = "item.create") -> int:
    answer = api.response("POST", "/hook/app/30/", json={"url": url, "type": kind})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["hook_id"])


def active_hook(api: PodioApi, emulator: Emulator, receiver: Receiver, kind: str) -> int:
    hook_id = hook(api, f"{receiver.url}?s=1", kind)
    emulator.world.hooks.wait_idle()
    code = receiver.forms.pop()["code"]
    api.response("POST", f"/hook/{hook_id}/verify/validate", json={"code": code}).raise_for_status()
    return hook_id


def test_a_new_hook_is_verified_through_its_url_and_fires_only_once_active(
    emulator: Emulator, api: PodioApi, receiver: Receiver
) -> None:
    hook_id = hook(api, f"{receiver.url}?flow_secret=abc")
    emulator.world.hooks.wait_idle()
    (verify,) = receiver.forms
    assert verify["type"] == "hook.verify" and verify["hook_id"] == str(hook_id)
    assert verify["flow_secret"] == "abc"  # the URL's query, moved into the body
    assert api.response("GET", "/hook/app/30/").json() == [
        {
            "hook_id": hook_id,
            "status": "inactive",
            "type": "item.create",
            "url": f"{receiver.url}?flow_secret=abc",
        }
    ]
    api.response("POST", "/item/app/30/", json={"fields": {"title": "unheard"}}).raise_for_status()
    emulator.world.hooks.wait_idle()
    assert len(receiver.forms) == 1  # inactive: nothing fired

    wrong = api.response("POST", f"/hook/{hook_id}/verify/validate", json={"code": "nope"})
    assert wrong.status_code == 400
    validated = api.response(
        "POST", f"/hook/{hook_id}/verify/validate", json={"code": verify["code"]}
    )
    assert validated.status_code == 204
    again = api.response("POST", f"/hook/{hook_id}/verify/validate", json={"code": verify["code"]})
    assert again.status_code == 400  # active already

    item_id = api.response("POST", "/item/app/30/", json={"fields": {"title": "heard"}}).json()[
        "item_id"
    ]
    emulator.world.hooks.wait_idle()
    event = receiver.forms[-1]
    assert event["type"] == "item.create" and event["item_id"] == str(item_id)
    assert int(event["item_revision_id"]) > 10**9  # a global id, not the revision number
    assert event["external_id"] == "" and event["flow_secret"] == "abc"
    assert "hook_id" not in event  # by default events do not name their hook


def test_a_verification_asked_again_sends_a_new_code_and_only_it_validates(
    emulator: Emulator, api: PodioApi, receiver: Receiver
) -> None:
    hook_id = hook(api, receiver.url)
    api.response("POST", f"/hook/{hook_id}/verify/request").raise_for_status()
    emulator.world.hooks.wait_idle()
    first, second = (form["code"] for form in receiver.forms)
    assert first != second
    refused = api.response("POST", f"/hook/{hook_id}/verify/validate", json={"code": first})
    assert refused.status_code == 400
    api.response(
        "POST", f"/hook/{hook_id}/verify/validate", json={"code": second}
    ).raise_for_status()


def test_each_write_fires_its_hook_after_the_answer_and_hook_false_fires_none(
    emulator: Emulator, api: PodioApi, receiver: Receiver
) -> None:
    for kind in ("item.create", "item.update", "item.delete"):
        active_hook(api, emulator, receiver, kind)
    receiver.pause = 1.0  # a slow receiver does not slow the write: delivery comes after
    started = time.monotonic()
    item_id = api.response(
        "POST", "/item/app/30/", json={"fields": {"title": "a"}, "external_id": "x-1"}
    ).json()["item_id"]
    assert time.monotonic() - started < 0.5
    receiver.pause = 0
    api.response("PUT", f"/item/{item_id}", json={"fields": {"title": "b"}}).raise_for_status()
    api.response(
        "PUT", f"/item/{item_id}?hook=false", json={"fields": {"title": "c"}}
    ).raise_for_status()
    api.response("DELETE", f"/item/{item_id}").raise_for_status()
    emulator.world.hooks.wait_idle()
    assert [(f["type"], f["external_id"]) for f in receiver.forms] == [
        ("item.create", "x-1"),
        ("item.update", "x-1"),
        ("item.delete", "x-1"),
    ]
    ids = [int(f["item_revision_id"]) for f in receiver.forms]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_a_failed_delivery_is_not_retried(
    emulator: Emulator, api: PodioApi, receiver: Receiver
) -> None:
    active_hook(api, emulator, receiver, "item.create")
    receiver.status = 500
    api.response("POST", "/item/app/30/", json={"fields": {"title": "a"}}).raise_for_status()
    emulator.world.hooks.wait_idle()
    time.sleep(0.3)
    assert len(receiver.forms) == 1
    assert emulator.world.hooks.delivered[-1].status == 500


def test_hooks_are_listed_and_deleted_and_capped_at_10_per_type(
    api: PodioApi, receiver: Receiver
) -> None:
    ids = [hook(api, f"{receiver.url}?n={n}") for n in range(10)]
    eleventh = api.response(
        "POST", "/hook/app/30/", json={"url": receiver.url, "type": "item.create"}
    )
    assert eleventh.status_code == 400
    assert "10 hooks" in eleventh.json()["error_description"]
    hook(api, receiver.url, "item.update")  # another type has room
    assert api.response("DELETE", f"/hook/{ids[0]}").status_code == 204
    assert api.response("DELETE", f"/hook/{ids[0]}").status_code == 404
    assert len(api.response("GET", "/hook/app/30/").json()) == 10
    hook(api, receiver.url)  # room again


@pytest.mark.parametrize(
    ("url", "strict", "accepted"),
    [
        ("http://127.0.0.1:8123/hook/f", False, True),  # loopback, any port: `listen` works
        ("http://127.0.0.1:8123/hook/f", True, False),
        ("https://in.example.com/hook/f", True, True),
        ("https://in.example.com:8443/hook/f", False, False),
        ("ftp://in.example.com/hook/f", False, False),
    ],
)
def test_only_ports_80_and_443_unless_loopback_is_allowed(
    emulator: Emulator, api: PodioApi, url: str, strict: bool, accepted: bool
) -> None:
    emulator.world.hooks.strict_ports = strict
    answer = api.response("POST", "/hook/app/30/", json={"url": url, "type": "item.create"})
    assert (answer.status_code == 200) is accepted, answer.text


def test_the_open_readings_can_each_be_played(
    emulator: Emulator, api: PodioApi, receiver: Receiver
) -> None:
    hook_id = active_hook(api, emulator, receiver, "item.update")
    readings = emulator.world.hooks.readings
    readings.events_carry_hook_id = True
    readings.empty_external_id = None
    readings.revision_numbering = "number"
    created = api.response("POST", "/item/app/30/", json={"fields": {"title": "no external id"}})
    item_id = created.json()["item_id"]
    api.response("PUT", f"/item/{item_id}", json={"fields": {"title": "x"}}).raise_for_status()
    emulator.world.hooks.wait_idle()
    event = receiver.forms[-1]
    assert event["hook_id"] == str(hook_id)
    assert "external_id" not in event
    assert event["item_revision_id"] == "1"  # the item's own number


def test_delivery_faults_drop_repeat_and_swap(
    emulator: Emulator, api: PodioApi, receiver: Receiver
) -> None:
    active_hook(api, emulator, receiver, "item.update")
    faults = emulator.world.hooks.faults

    def edit(title: str) -> None:
        api.response("PUT", "/item/5001", json={"fields": {"title": title}}).raise_for_status()

    receiver.pause = 0.5
    edit("slow")  # its delivery keeps Podio's sender busy: the faults below are all set early
    faults.drop = 1
    edit("dropped")
    faults.repeat = 1
    edit("twice")
    faults.swap = 1
    edit("first")
    edit("second")
    emulator.world.hooks.wait_idle()
    revisions = [int(f["item_revision_id"]) for f in receiver.forms[1:]]
    assert len(revisions) == 4  # the dropped one never came; the repeated one came twice
    assert revisions[0] == revisions[1]
    assert revisions[2] > revisions[3]  # the later revision first
    assert emulator.world.hooks.delivered[2].dropped  # after the verify and the slow one


def test_a_public_address_is_routed_to_a_local_one(
    emulator: Emulator, api: PodioApi, receiver: Receiver
) -> None:
    local = receiver.url.rsplit("/hook", 1)[0]
    emulator.world.hooks.routes.append(("https://tunnel.example", local))
    hook(api, "https://tunnel.example/hook/flow-1?k=v")
    emulator.world.hooks.wait_idle()
    assert receiver.forms[0]["k"] == "v"
    assert emulator.world.hooks.delivered[0].url == receiver.url


def test_an_item_lists_its_latest_revisions_and_the_difference_reads_numbers(
    emulator: Emulator, api: PodioApi
) -> None:
    for n in range(6):
        api.response("PUT", "/item/5001", json={"fields": {"title": f"t{n}"}}).raise_for_status()
    item = api.response("GET", "/item/5001").json()
    assert [r["revision"] for r in item["revisions"]] == [6, 5, 4, 3, 2]
    assert item["current_revision"]["revision"] == 6
    listed = api.response("GET", "/item/5001/revision/").json()
    assert [r["revision"] for r in listed] == list(range(7))
    assert len({r["item_revision_id"] for r in listed}) == 7
    (change,) = api.response("GET", "/item/5001/revision/4/5").json()
    assert change["external_id"] == "title" and change["label"]
    assert change["from"] == [{"value": "t3"}] and change["to"] == [{"value": "t4"}]
    assert api.response("GET", "/item/5001/revision/5").json()["revision"] == 5

    emulator.world.items.revisions.diff_numbering = "item_revision_id"
    assert api.response("GET", "/item/5001/revision/4/5").status_code == 404
    ids = {r["revision"]: r["item_revision_id"] for r in listed}
    by_ids = api.response("GET", f"/item/5001/revision/{ids[4]}/{ids[5]}").json()
    assert by_ids[0]["to"] == [{"value": "t4"}]


def test_only_the_latest_30_revisions_are_kept(api: PodioApi) -> None:
    for n in range(32):
        api.response("PUT", "/item/5001", json={"fields": {"title": f"t{n}"}}).raise_for_status()
    item = api.response("GET", "/item/5001").json()
    assert item["initial_revision"]["revision"] == 3  # current - 29, as captured
    assert api.response("GET", "/item/5001/revision/1/2").status_code == 404
