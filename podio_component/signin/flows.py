"""Podio's four ways to sign in. Each returns Podio's token response; saving it is the
caller's job, so a failed sign-in never touches the store."""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlencode

from podio_component.deadline import Deadline
from podio_component.errors import CredentialsError
from podio_component.podio.token_endpoint import TokenEndpoint
from podio_component.settings import Environment
from podio_component.signin.callback import CallbackServer, Redirect


class Terminal(Protocol):
    def say(self, text: str) -> None:
        """Tell the person something (on stderr: stdout is for machine-readable output)."""

    def watch_pastes(self, handle: Callable[[str], str]) -> None:
        """Pass every line the person types to handle, and show what it answers."""


class Browser(NamedTuple):
    """How a browser sign-in reaches the person and comes back."""

    redirect: Redirect
    scope: str | None
    open_browser: bool
    timeout: float
    terminal: Terminal


def server_side(endpoint: TokenEndpoint, env: Environment, browser: Browser) -> dict[str, Any]:
    """The authorization-code flow: the browser comes back with a code, exchanged once."""
    answer, redirect_uri = _authorize(env, endpoint.client_id, "code", browser)
    params = {
        "grant_type": "authorization_code",
        "code": answer.get("code", ""),
        "redirect_uri": redirect_uri,
    }
    return endpoint.grant("the authorization code", params, Deadline(env.deadline))


def client_side(client_id: str, env: Environment, browser: Browser) -> dict[str, Any]:
    """The client-side flow: the token itself comes back in the address's fragment. It
    needs no client secret, and Podio offers no refresh for it."""
    answer, _ = _authorize(env, client_id, "token", browser)
    expires_in = answer.get("expires_in", "")
    if not answer.get("access_token") or not expires_in.isdigit():
        raise CredentialsError("the browser's answer holds no access token and expiry")
    token: dict[str, Any] = {
        "access_token": answer["access_token"],
        "token_type": answer.get("token_type", "bearer"),
        "expires_in": int(expires_in),
    }
    if answer.get("scope"):
        token["scope"] = answer["scope"]
    return token


def app(endpoint: TokenEndpoint, app_id: int, app_token: str, env: Environment) -> dict[str, Any]:
    """App authentication: acts as the app, with its id and app token."""
    params = {"grant_type": "app", "app_id": str(app_id), "app_token": app_token}
    what = f"the app id and app token of app {app_id}"
    return endpoint.grant(what, params, Deadline(env.deadline))


def password(
    endpoint: TokenEndpoint,
    env: Environment,
    username: str,
    secret: str,
    *,
    scope: str | None,
    ask_code: Callable[[], str],
) -> dict[str, Any]:
    """Username and password; when Podio asks for a second factor (`server_nonce`), the
    one-time code completes the sign-in at /mfa/verify."""
    params = {"grant_type": "password", "username": username, "password": secret}
    if scope:
        params["scope"] = scope
    answer = endpoint.grant("the username and password", params, Deadline(env.deadline))
    nonce = answer.get("server_nonce")
    if isinstance(nonce, str) and not isinstance(answer.get("access_token"), str):
        answer = endpoint.verify_second_factor(nonce, ask_code(), Deadline(env.deadline))
    return answer


def _authorize(
    env: Environment, client_id: str, response_type: str, browser: Browser
) -> tuple[dict[str, str], str]:
    terminal = browser.terminal
    with CallbackServer(browser.redirect, fragment=response_type == "token") as server:
        query = {
            "client_id": client_id,
            "redirect_uri": server.redirect_uri,
            "response_type": response_type,
            "state": server.state,
        }
        if browser.scope:
            query["scope"] = browser.scope
        url = f"{env.authorize_url}?{urlencode(query)}"
        terminal.say("Sign in to Podio in a browser at this address:")
        terminal.say(url)
        if browser.open_browser and _graphical_browser_likely():
            webbrowser.open(url)
        terminal.say(
            f"Waiting up to {browser.timeout:g} s for the browser. If it cannot reach this "
            "machine, paste the address it ended on here and press Enter."
        )
        terminal.watch_pastes(lambda line: server.offer_pasted(line).text)
        answer = server.wait(browser.timeout)
    if "error" in answer:
        reason = answer.get("error_description") or answer.get("error_reason") or ""
        raise CredentialsError(
            f"the sign-in was not granted in the browser ({answer['error']}"
            + (f": {reason})" if reason else ")")
            + "; nothing was saved"
        )
    return answer, server.redirect_uri


def _graphical_browser_likely() -> bool:
    # webbrowser falls back to text browsers that would take over this terminal; over SSH
    # the browser would open on the wrong machine.
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return False
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
