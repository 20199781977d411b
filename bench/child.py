"""Measurements that need a fresh interpreter; prints one JSON object.

python -m bench.child cold-component|cold-requests|cold-floor BASE
                                               cold-floor: the declared stack's floor (import
                                               requests, tenacity, pydantic; one model; one request)
python -m bench.child rss-loop BASE N          RSS after warm-up, after N and after 2N messages
python -m bench.child rss-big BASE BYTES       peak RSS handling one response of BYTES
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before any import below: cold start includes them

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

TOKEN = "bench-access-token-0123456789abcdef"
CFG = {"oauth": {"access_token": TOKEN}, "retries": "0"}


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """This program's peak RSS. Not ru_maxrss: Linux carries the parent's peak across exec."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def main(mode: str, base: str, arg: str = "0") -> dict[str, float]:
    os.environ["PODIO_API_URL"] = base
    if mode == "cold-requests":
        import requests

        requests.get(
            f"{base}/item/1", headers={"Authorization": f"OAuth2 {TOKEN}"}, timeout=(10, 60)
        ).json()
        return {"seconds": time.perf_counter() - STARTED}

    if mode == "cold-floor":
        import pydantic
        import requests
        import tenacity

        class Body(pydantic.BaseModel):
            method: str
            url: str

        Body.model_validate({"method": "GET", "url": "/item/1"})
        tenacity.Retrying(stop=tenacity.stop_after_attempt(1))(
            requests.get,
            f"{base}/item/1",
            headers={"Authorization": f"OAuth2 {TOKEN}"},
            timeout=(10, 60),
        ).json()
        return {"seconds": time.perf_counter() - STARTED}

    from podio_component.actions.make_raw_request import process

    def one(url: str = "/item/1") -> None:
        process({"body": {"method": "GET", "url": url}}, CFG)

    if mode == "cold-component":
        one()
        return {"seconds": time.perf_counter() - STARTED}
    if mode == "rss-loop":
        n = int(arg)
        for _ in range(max(200, n // 5)):
            one()
        before = rss_bytes()
        for _ in range(n):
            one()
        middle = rss_bytes()
        for _ in range(n):
            one()
        return {
            "rss_warm": before,
            "rss_after_n": middle,
            "rss_after_2n": rss_bytes(),
            "peak": peak_rss_bytes(),
        }
    if mode == "rss-big":
        size = int(arg)
        one("/item/1")
        baseline = peak_rss_bytes()
        one(f"/big/{size}")
        return {"baseline_peak": baseline, "peak": peak_rss_bytes()}
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
