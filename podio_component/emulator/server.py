"""Run the emulator: Podio and the platform Secrets API, each on its own loopback port."""

from __future__ import annotations

import email.utils
import json
import logging
import math
import os
import secrets
import shlex
import socket
import sys
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from podio_component.emulator.faults import Fault, FaultingApp, FaultPlan, RequestLog
from podio_component.emulator.platform import app as platform_app
from podio_component.emulator.platform.app import Platform, PlatformApp
from podio_component.emulator.podio import app as podio_app
from podio_component.emulator.podio.app import PodioApp
from podio_component.emulator.podio.model import Clock, FilterReading, Grant, Limits
from podio_component.emulator.podio.world import PodioWorld

HOST = "127.0.0.1"
SEED_VARIABLE = "PODIO_EMULATOR_SEED"
CLI_FLOW = "emulator-flow"  # the flow id `emulator --env` names


def tie_order_seed(given: int | None = None) -> int:
    """The seed of the order in which the filter returns items that share a sort value:
    `given`, else PODIO_EMULATOR_SEED, else a new one (printed at start, to replay a run)."""
    if given is not None:
        return given
    text = os.environ.get(SEED_VARIABLE, "").strip()
    if not text:
        return secrets.randbelow(2**32)
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{SEED_VARIABLE} must be a whole number, got {text!r}")
    return int(text)


class Emulator:
    """Both sides of the emulator, started in background threads.

    >>> with Emulator() as emulator:
    ...     env = emulator.environment()          # PODIO_API_URL and ELASTICIO_* for the component
    ...     cfg = {"secretId": emulator.create_secret()}
    """

    def __init__(
        self,
        seed: dict[str, Any] | None = None,
        *,
        port: int = 0,
        platform_port: int = 0,
        token_lifetime: float = 8 * 3600,
        rotate_refresh_tokens: bool = True,
        limits: Limits | None = None,
        tie_seed: int | None = None,
    ) -> None:
        self.world = PodioWorld(
            seed,
            token_lifetime=token_lifetime,
            rotate_refresh_tokens=rotate_refresh_tokens,
            limits=limits,
            tie_seed=tie_order_seed(tie_seed),
        )
        self.faults = FaultPlan()
        self.log = RequestLog()
        client = next(iter(self.world.directory.clients.values()))
        self.client_id: str = client["client_id"]
        self.platform = Platform(client_secret=client["client_secret"])
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request access log
        podio = FaultingApp(
            "podio", PodioApp(self.world), self.faults, self.log, podio_app.error_response
        )
        platform = FaultingApp(
            "platform",
            PlatformApp(self.platform),
            self.faults,
            self.log,
            platform_app.error_response,
        )
        self._podio = _server(port, podio, self.world.clock)
        self._platform = _server(platform_port, platform, self.world.clock)
        self.podio_url = f"http://{HOST}:{self._podio.port}"
        self.platform_url = f"http://{HOST}:{self._platform.port}"
        self.platform.podio_url = self.podio_url
        self._threads: list[threading.Thread] = []

    def start(self) -> Emulator:
        seed = self.world.tie_seed
        print(
            f"emulator: tie order seed {seed} ({SEED_VARIABLE}={seed} replays it)", file=sys.stderr
        )
        for server in (self._podio, self._platform):
            # A short poll interval makes stop() quick; tests start and stop many emulators.
            thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self.world.hooks.close()
        self.world.files.close()
        self.platform.storage.close()
        self.platform.gateway.close()
        for server in (self._podio, self._platform):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def issue_token(self, mail: str | None = None) -> dict[str, Any]:
        """A token response for a seeded user (the first one by default)."""
        directory = self.world.directory
        user = directory.user_by_mail(mail) if mail else next(iter(directory.users.values()))
        if user is None:
            raise ValueError(f"no seeded user {mail!r}")
        return self.world.oauth.issue_tokens(
            Grant("user", user["user_id"], self.client_id, "global:all")
        )

    def create_secret(self, mail: str | None = None, fields: dict[str, Any] | None = None) -> str:
        """A platform secret holding a fresh token for a seeded user; returns its id."""
        tokens = self.issue_token(mail)
        return self.platform.add("Podio (emulator)", self.client_id, tokens, fields or {})

    def environment(self) -> dict[str, str]:
        """The environment variables that point the component at this emulator."""
        return {
            "PODIO_API_URL": self.podio_url,
            "ELASTICIO_API_URI": self.platform_url,
            "ELASTICIO_API_USERNAME": self.platform.username,
            "ELASTICIO_API_KEY": self.platform.api_key,
            "ELASTICIO_WORKSPACE_ID": self.platform.workspace_id,
            "ELASTICIO_OBJECT_STORAGE_URI": self.platform_url,
            "ELASTICIO_OBJECT_STORAGE_TOKEN": self.platform.storage.token,
        }

    def sign_in_environment(self) -> dict[str, str]:
        """The variables for `podio-component login` against this emulator."""
        return {
            "PODIO_API_URL": self.podio_url,
            "PODIO_AUTHORIZE_URL": f"{self.podio_url}/oauth/authorize",
            "PODIO_CLIENT_ID": self.client_id,
            "PODIO_CLIENT_SECRET": self.platform.client_secret,
        }


def _server(port: int, app: FaultingApp, clock: Clock) -> BaseWSGIServer:
    """A threaded WSGI server on HOST:port whose Date header follows the emulator's clock;
    OSError when the port cannot be had (werkzeug's own binding would print its message and
    exit the process instead)."""

    class Handler(WSGIRequestHandler):
        def date_time_string(self, timestamp: float | None = None) -> str:
            return email.utils.formatdate(
                clock.now() if timestamp is None else timestamp, usegmt=True
            )

    with socket.create_server((HOST, port)) as listening:
        return make_server(
            HOST, port, app, threaded=True, request_handler=Handler, fd=listening.fileno()
        )


METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "*")
_FAULT_SHAPE = (
    "expected 'METHOD PATH OUTCOME[,OUTCOME...]' where an outcome is a status, drop, "
    "truncate, malformed, delay:SECONDS, drip:SECONDS or pass"
)
_KINDS = {
    "drop": Fault(drop=True),
    "truncate": Fault(truncate=True),
    "malformed": Fault(malformed=True),
    "pass": Fault(),
}


def parse_fault_option(text: str) -> tuple[str, str, list[Fault]]:
    """'GET /item/* 503,drop,delay:2,drip:0.5,truncate,malformed,pass' -> method, pattern,
    outcomes; ValueError for anything the emulator could not carry out."""
    words = text.split()
    if len(words) != 3:
        raise ValueError(f"bad --fault {text!r}: {_FAULT_SHAPE}")
    method, pattern, spec = words
    if method.upper() not in METHODS:
        raise ValueError(f"bad --fault {text!r}: METHOD must be one of {', '.join(METHODS)}")
    if not pattern.startswith(("/", "*")):
        raise ValueError(f"bad --fault {text!r}: PATH must start with / (it would never match)")
    return method.upper(), pattern, [_outcome(token, text) for token in spec.split(",")]


def _outcome(token: str, text: str) -> Fault:
    if token in _KINDS:
        return _KINDS[token]
    kind, _, seconds = token.partition(":")
    if kind in ("delay", "drip") and seconds:
        try:
            value = float(seconds)
        except ValueError:
            value = math.nan
        if not 0 <= value <= 3600:  # NaN fails too
            raise ValueError(
                f"bad --fault {text!r}: {kind} needs a number of seconds from 0 to 3600"
            )
        return Fault(delay=value) if kind == "delay" else Fault(drip=value)
    if token.isascii() and token.isdigit():
        if not 100 <= int(token) <= 599:
            raise ValueError(f"bad --fault {text!r}: a status must be from 100 to 599")
        return Fault(status=int(token))
    raise ValueError(f"bad --fault {text!r}: {_FAULT_SHAPE}")


def serve_forever(
    port: int,
    seed: dict[str, Any] | None,
    faults: list[tuple[str, str, list[Fault]]],
    *,
    shell: bool = False,
    reading: FilterReading | None = None,
    tie_seed: int | None = None,
    strict_hook_ports: bool = False,
    hook_routes: list[tuple[str, str]] | None = None,
) -> None:
    """The `podio-component emulator` command: print how to reach it (JSON, or `export`
    lines a shell can source), then run in the foreground until interrupted."""
    emulator = Emulator(seed, port=port, tie_seed=tie_seed)
    emulator.world.items.reading = reading or FilterReading()
    emulator.world.hooks.strict_ports = strict_hook_ports
    emulator.world.hooks.routes.extend(hook_routes or [])
    for method, pattern, outcomes in faults:
        emulator.faults.add(method, pattern, *outcomes)
    secret_id = emulator.create_secret(fields={"retries": "3", "retriesDelay": "1000"})
    token = emulator.issue_token()
    cfg_with_secret = {"secretId": secret_id}
    cfg_with_token = {"oauth": {"access_token": token["access_token"]}}
    if shell:
        variables = {
            **emulator.environment(),
            **emulator.sign_in_environment(),
            # the webhook address of a flow the emulated platform runs (inactive until a step
            # of it is started on RabbitMQ: see docs/emulator.md)
            "ELASTICIO_FLOW_WEBHOOK_URI": f"{emulator.platform_url}/hook/{CLI_FLOW}",
            "EMULATOR_CFG": json.dumps(cfg_with_secret),  # step cfgs, for --cfg "$EMULATOR_CFG"
            "EMULATOR_TOKEN_CFG": json.dumps(cfg_with_token),
        }
        text = "\n".join(f"export {name}={shlex.quote(value)}" for name, value in variables.items())
    else:
        text = json.dumps(
            {
                "podio_api_url": emulator.podio_url,
                "platform_api_uri": emulator.platform_url,
                "environment": emulator.environment(),
                "flow_webhook_uri": f"{emulator.platform_url}/hook/{CLI_FLOW}",
                "cfg_with_secret": cfg_with_secret,
                "cfg_with_inline_token": cfg_with_token,
                "sign_in_environment": emulator.sign_in_environment(),
            },
            indent=2,
        )
    print(text, flush=True)  # flushed: `emulator > env.json &` is readable while it runs
    print("emulator running; press Ctrl+C to stop", file=sys.stderr, flush=True)
    emulator.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
