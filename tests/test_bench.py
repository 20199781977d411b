"""Smoke run of the benchmark harness on tiny sizes, so it cannot rot. Not a timed test."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE = ROOT / "docs" / "performance.md"  # the targets in force


def test_the_bench_harness_runs_and_writes_its_results(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "component / requests" in result.stdout
    results = json.loads(out.read_text())
    assert set(results) >= {"machine", "per_message", "cold_start", "memory", "waiting"}
    assert results["per_message"]["cpu_vs_requests"] > 0
    waiting = results["waiting"]["420 wait 1 s"]
    assert waiting["component"]["calls"] == 2  # the hint costs exactly one extra call
    assert waiting["naive"]["calls"] > waiting["component"]["calls"]
    assert results["collaboration"]["calls"] == {
        "add_comment": 1,
        "add_comment_external_id": 2,
        "create_task": 1,
        "create_task_external_id": 2,
        "complete_task": 1,
        "find_tasks_250": 3,
    }
    assert printed_targets(result.stdout) <= printed_targets(PERFORMANCE.read_text())


def printed_targets(text: str) -> set[tuple[str, float]]:
    """The targets a text states, such as "target <= 1.10x" or "<= 1.2x, met"."""
    return {(op, float(value)) for op, value in re.findall(r"(<=|>=) ?([0-9.]+)x", text)}


def test_bench_node_without_node_says_so_and_prints_no_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.node", "--out", str(out)],
        cwd=ROOT,
        env={"PATH": str(tmp_path)},  # neither node nor npm here
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "make bench-node needs node, which is not installed here" in result.stderr
    assert "µs" not in result.stdout
    assert not out.exists()


def test_fidelity_without_node_says_what_to_install(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.fidelity"],
        cwd=ROOT,
        env={"PATH": str(tmp_path)},  # neither node nor npm here
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "make fidelity needs node, which is not installed here" in result.stderr
    assert "apt-get install nodejs npm" in result.stderr
