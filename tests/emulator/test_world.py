"""The emulated world's seams: every change through the API reaches a listener, and the order
of ties is seeded, so a failing run can be replayed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from podio_component.emulator import Emulator
from podio_component.emulator.podio.changes import Change
from tests.helpers import ROOT, SetEnv


def test_a_listener_hears_every_item_write_comment_and_file_change(emulator: Emulator) -> None:
    heard: list[Change] = []
    emulator.world.changes.listen(heard.append)
    headers = {"Authorization": f"OAuth2 {emulator.issue_token()['access_token']}"}
    api = emulator.podio_url

    created = requests.post(
        f"{api}/item/app/30/", json={"fields": {"title": "new"}}, headers=headers, timeout=10
    ).json()["item_id"]
    requests.put(
        f"{api}/item/{created}", json={"fields": {"title": "edited"}}, headers=headers, timeout=10
    ).raise_for_status()
    comment = requests.post(
        f"{api}/comment/item/{created}/", json={"value": "hi"}, headers=headers, timeout=10
    ).json()["comment_id"]
    emulator.world.files.attach(7001, 30, created)  # the upload route comes with files
    requests.delete(f"{api}/item/{created}", headers=headers, timeout=10).raise_for_status()

    assert [(c.kind, c.app_id, c.item_id) for c in heard] == [
        ("item.create", 30, created),
        ("item.update", 30, created),
        ("comment.create", 30, created),
        ("file.change", 30, created),
        ("item.delete", 30, created),
    ]
    assert heard[1].details["revision"] == 1
    assert heard[1].details["item_revision_id"] > heard[0].details["item_revision_id"]
    assert heard[4].details["revision"] == 2  # the delete is a revision too
    assert heard[2].details == {"comment_id": comment}
    assert heard[3].details == {"action_type": "file_created", "file_ids": "7001"}


def tie_order(seed: int) -> list[int]:
    """The order in which the filter returns 20 items created in one second."""
    with Emulator(tie_seed=seed) as emulator:
        emulator.world.clock.freeze()
        emulator.world.items.add(30, [{"title": f"n{n}"} for n in range(20)])
        found = emulator.world.items.filter(30, {"sort_by": "created_on", "limit": 500})
        return [item["item_id"] for item in found["items"]]


def test_the_same_seed_gives_the_same_order_of_ties_and_another_seed_another() -> None:
    assert tie_order(7) == tie_order(7)
    assert tie_order(7) != tie_order(8)


def test_the_seed_comes_from_podio_emulator_seed_and_is_printed_at_start(
    setenv: SetEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    setenv("PODIO_EMULATOR_SEED", "4242")
    with Emulator() as emulator:
        assert emulator.world.tie_seed == 4242
    assert "PODIO_EMULATOR_SEED=4242" in capsys.readouterr().err
    setenv("PODIO_EMULATOR_SEED", "soon")
    with pytest.raises(ValueError, match="PODIO_EMULATOR_SEED must be a whole number"):
        Emulator()


def test_a_failing_test_shows_the_seed_that_replays_it(tmp_path: Path) -> None:
    failing = tmp_path / "test_fails.py"
    failing.write_text(
        "from podio_component.emulator import Emulator\n"
        "def test_fails():\n"
        "    with Emulator():\n"
        "        assert False\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(failing)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Captured stderr call" in done.stdout
    assert "replays it" in done.stdout and "PODIO_EMULATOR_SEED=" in done.stdout


def test_date_values_show_the_users_clock_beside_utc(emulator: Emulator) -> None:
    """As Podio shows them: `start` on the user's clock (Kolkata for the first seeded user,
    never UTC), `start_utc` in UTC."""
    token = emulator.issue_token()["access_token"]
    headers = {"Authorization": f"OAuth2 {token}"}
    body = {"fields": {"title": "t", "meeting": {"start_utc": "2026-12-01 09:00:00"}}}
    made = requests.post(
        f"{emulator.podio_url}/item/app/40/", json=body, headers=headers, timeout=10
    ).json()
    item = requests.get(f"{emulator.podio_url}/item/{made['item_id']}", headers=headers, timeout=10)
    meeting = next(f for f in item.json()["fields"] if f["external_id"] == "meeting")
    value = meeting["values"][0]
    assert (value["start"], value["start_utc"]) == ("2026-12-01 14:30:00", "2026-12-01 09:00:00")
    assert (value["start_time"], value["start_time_utc"]) == ("14:30:00", "09:00:00")
