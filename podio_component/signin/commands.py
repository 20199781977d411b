"""`podio-component login` and `podio-component credentials`: the terminal side of sign-in.

Secrets are never flags (flags show in `ps`): the client secret comes from
PODIO_CLIENT_SECRET or a prompt, the password and the app token from a prompt without echo
or from standard input (--password-stdin, --app-token-stdin). Messages for the person go to
stderr; stdout carries only the credential's JSON summary.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from podio_component.credentials.store import CredentialStore, Grant, StoredCredential, expiry
from podio_component.credentials.stored import refresh_locked, refused_note
from podio_component.deadline import Deadline
from podio_component.errors import CredentialsError, PodioComponentError, UsageError
from podio_component.podio.token_endpoint import GrantRefused, TokenEndpoint
from podio_component.redaction import register_secret
from podio_component.settings import Environment, environment
from podio_component.signin import flows
from podio_component.signin.callback import checked_redirect

LOCK_TIMEOUT = 30.0
DEFAULT_TIMEOUT = 300.0


class ConsoleTerminal:
    def say(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def watch_pastes(self, handle: Callable[[str], str]) -> None:
        # Reads the raw descriptor: a daemon thread blocked inside sys.stdin would hold its
        # buffer's lock when the interpreter shuts down.
        def read() -> None:
            pending = b""
            while chunk := _read_stdin():
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        self.say(handle(line.decode("utf-8", "replace")))

        threading.Thread(target=read, name="pasted addresses", daemon=True).start()

    def secret(self, what: str, *, from_stdin: bool, otherwise: str) -> str:
        """A secret from one line of standard input, or a prompt without echo."""
        if from_stdin or not sys.stdin.isatty():
            if not from_stdin and otherwise:
                raise UsageError(f"no terminal to ask for the {what}: {otherwise}")
            value = sys.stdin.readline().rstrip("\r\n")
        else:
            value = getpass.getpass(f"{what[0].upper()}{what[1:]}: ", stream=sys.stderr)
        if not value:
            raise UsageError(f"no {what} was given")
        register_secret(value)
        return value


def _read_stdin() -> bytes:
    try:
        return os.read(0, 4096)
    except OSError:
        return b""


def login(args: argparse.Namespace) -> int:
    env = environment()
    store = CredentialStore.from_environment(env)
    terminal = ConsoleTerminal()
    _check_options(args)
    if args.refresh:
        return _refresh(args.name, store, env, terminal)
    client_id = args.client_id or env.client_id
    if not client_id:
        raise UsageError("login needs the API key's client id: --client-id ID or PODIO_CLIENT_ID")
    browser = flows.Browser(  # checked before any prompt
        checked_redirect(args.redirect_uri),
        args.scope,
        not args.no_browser,
        args.timeout or DEFAULT_TIMEOUT,
        terminal,
    )
    store.check_writable()  # before the person signs in for nothing
    asked_at = time.time()
    secret = None if args.client_side else _client_secret(env, terminal)
    token = _sign_in(args, env, client_id, secret, browser, terminal)
    credential = StoredCredential(
        name=args.name,
        grant=_grant(args),
        api_url=env.api_url,
        client_id=client_id,
        client_secret=secret if args.save_client_secret else None,
        token=token,
        expires_at=expiry(token, asked_at),
        obtained_at=asked_at,
    )
    with store.locked(args.name, LOCK_TIMEOUT):
        _save(store, credential)
    terminal.say(f"Signed in. Credential {args.name} is saved in {store.path(args.name)}.")
    print(json.dumps(credential.summary(), indent=2))
    return 0


def _sign_in(
    args: argparse.Namespace,
    env: Environment,
    client_id: str,
    secret: str | None,
    browser: flows.Browser,
    terminal: ConsoleTerminal,
) -> dict[str, Any]:
    if args.client_side:
        return flows.client_side(client_id, env, browser)
    endpoint = TokenEndpoint(env, client_id, secret)
    if args.app is not None:
        app_token = terminal.secret(
            "app token", from_stdin=args.app_token_stdin, otherwise="pass --app-token-stdin"
        )
        return flows.app(endpoint, args.app, app_token, env)
    if args.username is not None:
        password = terminal.secret(
            "password", from_stdin=args.password_stdin, otherwise="pass --password-stdin"
        )
        return flows.password(
            endpoint,
            env,
            args.username,
            password,
            scope=args.scope,
            ask_code=lambda: terminal.secret(
                "one-time code from your authenticator", from_stdin=False, otherwise=""
            ),
        )
    return flows.server_side(endpoint, env, browser)


def _grant(args: argparse.Namespace) -> Grant:
    if args.client_side:
        return "client_side"
    if args.app is not None:
        return "app"
    return "password" if args.username is not None else "authorization_code"


def _check_options(args: argparse.Namespace) -> None:
    browser = not (args.app is not None or args.username is not None or args.refresh)
    misplaced = [
        flag
        for flag, used, allowed in (
            ("--app-token-stdin", args.app_token_stdin, args.app is not None),
            ("--password-stdin", args.password_stdin, args.username is not None),
            ("--redirect-uri", args.redirect_uri is not None, browser),
            ("--no-browser", args.no_browser, browser),
            ("--timeout", args.timeout is not None, browser),
            ("--save-client-secret", args.save_client_secret, not args.client_side),
            ("--scope", args.scope is not None, browser or args.username is not None),
            ("--client-id", args.client_id is not None, not args.refresh),
        )
        if used and not allowed
    ]
    if misplaced:
        raise UsageError(f"{', '.join(misplaced)} cannot be used with this way of signing in")


def _client_secret(env: Environment, terminal: ConsoleTerminal) -> str:
    if env.client_secret:
        return env.client_secret
    return terminal.secret(
        "client secret",
        from_stdin=False,
        otherwise="set PODIO_CLIENT_SECRET (a command-line flag would show in ps)",
    )


def _refresh(name: str, store: CredentialStore, env: Environment, terminal: ConsoleTerminal) -> int:
    credential = store.load(name)
    if not (credential.client_secret or env.client_secret) and credential.grant != "client_side":
        secret = _client_secret(env, terminal)
        env = env.model_copy(update={"client_secret": secret})
    with store.locked(name, LOCK_TIMEOUT):
        credential = store.load(name)
        try:
            renewed = refresh_locked(store, credential, env, Deadline(env.deadline))
        except GrantRefused as exc:
            raise CredentialsError(
                f"{exc.message}{refused_note(exc)}; credential {name} was left as it was: "
                f"sign in again: podio-component login {name}"
            ) from None
    terminal.say(f"Refreshed credential {name}.")
    print(json.dumps(renewed.summary(), indent=2))
    return 0


def _save(store: CredentialStore, credential: StoredCredential) -> None:
    try:
        store.save(credential)
    except OSError as exc:
        raise CredentialsError(
            f"signed in, but the credential could not be saved to "
            f"{store.path(credential.name)} ({exc.strerror})"
        ) from None


def credentials(args: argparse.Namespace) -> int:
    store = CredentialStore.from_environment(environment())
    if args.operation == "list":
        listed = []
        for name in store.names():
            try:
                listed.append(store.load(name).summary())
            except PodioComponentError as exc:
                listed.append({"name": name, "error": exc.message})
        print(json.dumps(listed, indent=2))
    elif args.operation == "show":
        print(json.dumps(store.load(args.name).summary(), indent=2))
    else:
        store.delete(args.name)
        print(f"Deleted credential {args.name}.", file=sys.stderr)
    return 0
