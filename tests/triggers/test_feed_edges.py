"""New and Updated Items at its edges: full pages at every size (500 included) and never more
than Podio's 500 a call, a snapshot file that cannot be turned against its owner, dates at
the ends of the calendar, filter calls retried as the reads they are."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from podio_component import cli
from podio_component.contract import events
from podio_component.emulator import Emulator, Fault
from podio_component.errors import InputError
from podio_component.triggers import new_and_updated_items as trigger
from tests.helpers import cfg_for, poll

FILTER = ("POST", "/item/app/30/filter/")


def started(emulator: Emulator, cfg: dict[str, Any]) -> Any:
    data, snapshot = poll(trigger, cfg, None)
    assert data == []
    return snapshot


def add_in_ties(emulator: Emulator, count: int, per_second: int) -> list[int]:
    """count items, per_second of them in each second (Podio's timestamps tie)."""
    added: list[int] = []
    while len(added) < count:
        emulator.world.clock.advance(1)
        batch = min(per_second, count - len(added))
        added += emulator.world.items.add(
            30, [{"title": f"n{len(added) + n}"} for n in range(batch)]
        )
    emulator.world.clock.advance(1)
    return added


def limits_asked(emulator: Emulator) -> list[int]:
    return [
        json.loads(e.body)["limit"] for e in emulator.log.entries() if e.path.endswith("/filter/")
    ]


@pytest.mark.parametrize(
    ("page_size", "per_second"), [(1, 3), (2, 1), (5, 3), (99, 7), (100, 1), (499, 40)]
)
def test_every_page_holds_page_size_items_but_the_last(
    frozen_emulator: Emulator, page_size: int, per_second: int
) -> None:
    cfg = cfg_for(frozen_emulator, app="30", pageSize=str(page_size), emitBehavior="emitPage")
    snapshot = started(frozen_emulator, cfg)
    added = add_in_ties(frozen_emulator, page_size * 2 + page_size // 2 + 1, per_second)
    data, _ = poll(trigger, cfg, snapshot)
    sizes = [len(m["body"]["items"]) for m in data]
    assert sizes[:-1] == [page_size] * (len(sizes) - 1) and 0 < sizes[-1] <= page_size
    assert [i["item_id"] for m in data for i in m["body"]["items"]] == added  # each once, in order
    assert max(limits_asked(frozen_emulator)) <= 500


def test_several_pages_at_the_largest_page_size_never_ask_for_more_than_500(
    frozen_emulator: Emulator,
) -> None:
    cfg = cfg_for(frozen_emulator, app="30", pageSize="500", emitBehavior="emitPage")
    snapshot = started(frozen_emulator, cfg)
    added = add_in_ties(frozen_emulator, 1300, 4)
    data, snapshot = poll(trigger, cfg, snapshot)
    assert [len(m["body"]["items"]) for m in data] == [500, 500, 300]
    assert [i["item_id"] for m in data for i in m["body"]["items"]] == added
    assert max(limits_asked(frozen_emulator)) == 500
    assert poll(trigger, cfg, snapshot)[0] == []


def test_a_page_cut_inside_a_second_resumes_there_in_the_next_run(
    frozen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = cfg_for(frozen_emulator, app="30", pageSize="4", emitBehavior="emitPage")
    snapshot = started(frozen_emulator, cfg)
    added = add_in_ties(frozen_emulator, 6, 6)  # one second of 6: pages of 4 and 2
    kept: list[dict[str, Any]] = []
    with events.collect() as collected:
        keep = collected.snapshot_event

        def each(snap: dict[str, Any]) -> None:  # every snapshot the run emits
            kept.append(snap)
            keep(snap)

        monkeypatch.setattr(collected, "snapshot_event", each)
        trigger.process({}, cfg, snapshot)
    first_page = [i["item_id"] for i in collected.data[0]["body"]["items"]]
    assert len(first_page) == 4 and kept[0]["done"] is False
    data, _ = poll(trigger, cfg, kept[0])  # as if the run had died after its first page
    assert first_page + [i["item_id"] for m in data for i in m["body"]["items"]] == added


# ---- the snapshot file ------------------------------------------------------------------


def run_with(
    snapshot: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    cfg = json.dumps(cfg_for(emulator, app="30"))
    code = cli.main(["run", "newAndUpdatedItems", "--cfg", cfg, "--snapshot", str(snapshot)])
    return code, capsys.readouterr().err


def test_a_snapshot_file_in_a_folder_that_does_not_exist_is_refused_before_polling(
    frozen_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_with(tmp_path / "nowhere" / "s.json", frozen_emulator, capsys)
    assert code == 2 and err.count("\n") == 1
    assert "error: --snapshot" in err and "does not exist" in err
    assert frozen_emulator.log.count(*FILTER) == 0


def test_a_link_planted_at_the_old_temporary_name_is_never_written_through(
    frozen_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = tmp_path / "s.json"
    victim = tmp_path / "victim"
    victim.write_text("precious")
    for pid in range(os.getpid() - 5, os.getpid() + 50):  # every name the old code could pick
        (tmp_path / f".s.json.{pid}").symlink_to(victim)
    kept.write_text("{}")
    kept.chmod(0o640)
    code, err = run_with(kept, frozen_emulator, capsys)
    assert code == 0, err
    assert victim.read_text() == "precious"
    assert json.loads(kept.read_text())["version"] == 1
    assert kept.stat().st_mode & 0o777 == 0o640  # the file keeps its mode


@pytest.mark.parametrize("kind", ["symlink", "fifo", "directory"])
def test_a_snapshot_file_that_is_not_a_plain_file_is_refused_at_once(
    frozen_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    target = tmp_path / "s.json"
    if kind == "symlink":
        (tmp_path / "real.json").write_text("{}")
        target.symlink_to(tmp_path / "real.json")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    code, err = run_with(target, frozen_emulator, capsys)
    assert code == 2 and err.startswith(f"error: --snapshot {target} ")
    assert frozen_emulator.log.count(*FILTER) == 0


@pytest.mark.parametrize(
    "content", [b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000], ids=["not utf-8", "too deep"]
)
def test_a_snapshot_file_that_does_not_hold_json_is_exit_2(
    frozen_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    target = tmp_path / "s.json"
    target.write_bytes(content)
    code, err = run_with(target, frozen_emulator, capsys)
    assert (code, err) == (2, f"error: --snapshot {target} does not hold JSON\n")


@pytest.mark.parametrize("offset", [10**12, -1])
def test_a_forged_tie_offset_is_an_invalid_snapshot_and_nothing_is_sent(
    frozen_emulator: Emulator, offset: int
) -> None:
    cfg = cfg_for(frozen_emulator, app="30")
    snapshot = {**started(frozen_emulator, cfg), "done": False, "afterId": 5, "tieOffset": offset}
    before = frozen_emulator.log.count(*FILTER)
    with pytest.raises(InputError, match="tieOffset"):
        poll(trigger, cfg, snapshot)
    assert frozen_emulator.log.count(*FILTER) == before


# ---- dates at the edges, reads that retry --------------------------------------------


def test_a_start_time_in_year_one_is_sent_with_podios_four_digit_year(
    frozen_emulator: Emulator,
) -> None:
    cfg = cfg_for(frozen_emulator, app="30", startTime="0001-01-01")
    data, _ = poll(trigger, cfg, None)
    assert {m["body"]["item_id"] for m in data} == {5001, 5002, 5003}
    sent = [
        json.loads(e.body) for e in frozen_emulator.log.entries() if e.path.endswith("/filter/")
    ]
    walk = [b for b in sent if "filters" in b and b["sort_by"] == "last_edit_on"]
    bounds = [b["filters"]["last_edit_on"]["from"] for b in walk]
    assert bounds and all(b.startswith("0001-01-0") for b in bounds)


def test_a_date_header_that_cannot_be_read_is_taken_as_none(frozen_emulator: Emulator) -> None:
    cfg = cfg_for(frozen_emulator, app="30")
    frozen_emulator.faults.add(*FILTER, Fault(headers={"Date": "the day after tomorrow"}))
    data, snapshot = poll(trigger, cfg, None)  # no traceback: a first run
    assert data == [] and snapshot["version"] == 1


def test_a_filter_answered_502_is_retried_as_the_read_it_is(frozen_emulator: Emulator) -> None:
    cfg = cfg_for(frozen_emulator, app="30", retries="2", retriesDelay="0")
    snapshot = started(frozen_emulator, cfg)
    added = add_in_ties(frozen_emulator, 3, 1)
    frozen_emulator.faults.add(*FILTER, Fault(status=502), Fault(drop=True))
    data, _ = poll(trigger, cfg, snapshot)
    assert [m["body"]["item_id"] for m in data] == added
