"""The local end of a browser sign-in: a small HTTP server on 127.0.0.1 that waits for
Podio's redirect and accepts the first answer that carries this sign-in's `state`.

A redirect with a missing or wrong `state` gets a 400 page and the wait goes on, so a
forged request can neither sign someone in nor abort the sign-in. The client-side flow puts
the token in the URL fragment, which browsers never send to a server: the page served at
the redirect address posts the fragment back to the same address. An address pasted by the
person (when the browser cannot reach this machine) goes through the same checks.
"""

from __future__ import annotations

import base64
import hashlib
import html
import queue
import re
import secrets
import socket
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit

from podio_component.errors import CredentialsError, UsageError
from podio_component.redaction import logger, register_secret

log = logger(__name__)

HOST = "127.0.0.1"
DEFAULT_PATH = "/callback"
_MAX_BODY = 16 * 1024


class Redirect(NamedTuple):
    """Where the browser is sent back to, and where this machine listens for it."""

    uri: str | None  # None: http://127.0.0.1:<the port picked>/callback
    port: int
    path: str


# Only what every URL parser (browsers, urllib3, Python's urlsplit) reads the same way: no
# user name, backslash, percent-escape, query or fragment, and a path without dot segments.
_REDIRECT = re.compile(
    r"http://(?P<host>[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})(?P<path>/[A-Za-z0-9._~/-]*)"
)
_SHAPE = (
    "--redirect-uri must look like http://NAME:PORT/PATH: NAME 127.0.0.1 or a name for it, "
    "PORT from 1 to 65535, PATH of letters, digits and . _ ~ - / without . or .. segments, "
    "and no user name, query or fragment"
)
Resolver = Callable[[str], set[str]]


def checked_redirect(uri: str | None, resolve: Resolver | None = None) -> Redirect:
    """A --redirect-uri that leads back to the callback server and nowhere else: plain http
    (the local server has no certificate) to 127.0.0.1, or to a name whose every address,
    IPv4 and IPv6, is 127.0.0.1 (the server listens there only)."""
    if uri is None:
        return Redirect(None, 0, DEFAULT_PATH)
    match = _REDIRECT.fullmatch(uri)
    port = int(match["port"]) if match else 0
    path = match["path"] if match else ""
    if match is None or not 0 < port <= 65535 or {".", ".."} & set(path.split("/")):
        raise UsageError(f"{_SHAPE}; got {uri!r}")
    host = match["host"]
    addresses = (resolve or _addresses)(host)
    if addresses != {HOST}:
        raise UsageError(
            f"--redirect-uri must lead back to this machine, but {host} resolves to "
            f"{', '.join(sorted(addresses)) or 'nothing'}; the callback server listens on "
            f"{HOST} only, so use {HOST} or a name whose every address is {HOST} (see the docs)"
        )
    return Redirect(uri, port, path)


def _addresses(host: str) -> set[str]:
    """Every address a name resolves to, IPv4 and IPv6."""
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return set()


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a burst of connections waits its turn instead of being refused


class Verdict(NamedTuple):
    status: HTTPStatus
    text: str


class CallbackServer:
    """Listens for one sign-in answer. `wait()` returns the accepted parameters: `code` (or
    the token fields, for the client-side flow), or `error` when the person declined."""

    def __init__(self, redirect: Redirect, *, fragment: bool) -> None:
        self.state = secrets.token_urlsafe(24)
        register_secret(self.state)
        self.fragment = fragment
        self.path = redirect.path
        self._answers: queue.Queue[dict[str, str]] = queue.Queue()
        self._answered = False
        self._lock = threading.Lock()
        try:
            self._server = LoopbackServer((HOST, redirect.port), _handler(self))
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {HOST}:{redirect.port} for the sign-in ({exc.strerror})"
            ) from None
        port = self._server.server_address[1]
        self.redirect_uri = redirect.uri or f"http://{HOST}:{port}{DEFAULT_PATH}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="sign-in callback", daemon=True
        )
        self._thread.start()

    def wait(self, timeout: float) -> dict[str, str]:
        try:
            return self._answers.get(timeout=timeout)
        except queue.Empty:
            raise CredentialsError(
                f"no answer from the browser within {timeout:g} s; nothing was saved"
            ) from None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> CallbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def offer(self, params: dict[str, str]) -> Verdict:
        """Accept an answer carrying this sign-in's state, once; refuse anything else."""
        if not ({"code", "access_token", "error"} & params.keys()):
            return Verdict(HTTPStatus.BAD_REQUEST, "This address carries no sign-in answer.")
        given = params.get("state", "")
        if not secrets.compare_digest(given.encode(), self.state.encode()):
            log.warning("refused a sign-in answer with a missing or wrong state; still waiting")
            return Verdict(
                HTTPStatus.BAD_REQUEST,
                "This answer does not belong to the sign-in that is waiting, so it was "
                "ignored. Nothing was signed in.",
            )
        with self._lock:
            if self._answered:
                return Verdict(HTTPStatus.CONFLICT, "This sign-in has already been completed.")
            self._answered = True
        for name in ("code", "access_token", "refresh_token"):
            register_secret(params.get(name))
        self._answers.put(params)
        if "error" in params:
            return Verdict(
                HTTPStatus.OK,
                "The sign-in was not completed. You can close this tab; the terminal says why.",
            )
        return Verdict(
            HTTPStatus.OK,
            "Podio's answer reached podio-component. You can close this tab; the terminal "
            "shows the result.",
        )

    def offer_pasted(self, text: str) -> Verdict:
        """An address the person pasted: the query and the fragment both count."""
        parts = urlsplit(text.strip())
        return self.offer(dict(parse_qsl(parts.query)) | dict(parse_qsl(parts.fragment)))


def _handler(server: CallbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != server.path:
                self._answer(Verdict(HTTPStatus.NOT_FOUND, "Not found."))
                return
            query = dict(parse_qsl(parts.query))
            if server.fragment and not query:
                self._page(_FRAGMENT_PAGE, HTTPStatus.OK)  # the token is in the fragment
                return
            self._answer(server.offer(query))

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length", "")
            if urlsplit(self.path).path != server.path or not server.fragment:
                self._answer(Verdict(HTTPStatus.NOT_FOUND, "Not found."))
                return
            if not length.isdigit() or int(length) > _MAX_BODY:
                self._answer(Verdict(HTTPStatus.BAD_REQUEST, "Expected a short form body."))
                return
            body = self.rfile.read(int(length)).decode("utf-8", "replace")
            self._answer(server.offer(dict(parse_qsl(body))), plain=True)

        def _answer(self, verdict: Verdict, *, plain: bool = False) -> None:
            if plain:
                self._send(verdict.text.encode(), "text/plain; charset=utf-8", verdict.status)
            else:
                self._page(_message_page(verdict.text), verdict.status)

        def _page(self, page: str, status: HTTPStatus) -> None:
            self._send(page.encode(), "text/html; charset=utf-8", status)

        def _send(self, body: bytes, content_type: str, status: HTTPStatus) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Referrer-Policy", "no-referrer")  # the address holds the code
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header(
                "Content-Security-Policy",
                f"default-src 'none'; connect-src 'self'; script-src '{_SCRIPT_HASH}'",
            )
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the address holds the code: never written to the terminal

    return Handler


def _message_page(text: str) -> str:
    return (
        "<!doctype html><meta charset=utf-8><title>podio-component sign-in</title>"
        f"<p>{html.escape(text)}</p>"
    )


# The token is in the fragment, which only the page can read: post it back to this address.
_SCRIPT = (
    "fetch(location.pathname,{method:'POST',"
    "headers:{'Content-Type':'application/x-www-form-urlencoded'},"
    "body:location.hash.slice(1)})"
    ".then(r=>r.text()).then(t=>{document.getElementById('m').textContent=t;"
    "history.replaceState(null,'',location.pathname);})"
    ".catch(()=>{document.getElementById('m').textContent="
    "'Could not reach podio-component; paste this address in the terminal instead.';});"
)


_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
_FRAGMENT_PAGE = (
    "<!doctype html><meta charset=utf-8><title>podio-component sign-in</title>"
    "<p id=m>Handing the sign-in to podio-component…</p>"
    "<noscript><p>JavaScript is off, so this page cannot hand the sign-in over. Copy this "
    "page's whole address from the address bar and paste it into the terminal where "
    "podio-component is waiting.</p></noscript>"
    f"<script>{_SCRIPT}</script>"
)
