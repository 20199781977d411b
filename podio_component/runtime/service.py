"""`podio-component service METHOD`: the platform's service containers.

Reads ELASTICIO_CFG, runs verifyCredentials (or an action's getMetaModel / selectModel
function), and POSTs the result to ELASTICIO_POST_RESULT_URL, as the Node.js runtime does:

  {"status": "success", "data": {"verified": true}}
  {"status": "success", "data": {"verified": false, "reason": "..."}}   the credential fails
  {"status": "error", "data": {"message": "..."}}                       the check cannot run

It exits 0 once the result is posted. It exits 1 when the result cannot be posted, and
when the container itself is at fault (an unknown method, a malformed PODIO_* or
ELASTICIO_API_REQUEST_RETRY_ATTEMPTS setting): that is posted as an error first.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from typing import Any

from podio_component.context import Context, bound
from podio_component.contract import descriptor
from podio_component.errors import (
    PodioComponentError,
    PodioHTTPError,
    PodioTransportError,
    UsageError,
)
from podio_component.platform.results import ResultNotPosted, post_result
from podio_component.redaction import logger
from podio_component.runtime import bunyan
from podio_component.settings import environment
from podio_component.verify_credentials import verify

log = logger(__name__)

METHODS = ("verifyCredentials", "getMetaModel", "selectModel")
DEFAULT_POST_ATTEMPTS = 3


class ServiceError(PodioComponentError):
    """The service method could not run."""


class SetupError(ServiceError):
    """The container is set up wrongly: posted as an error, and the exit code is 1."""


def run(method: str, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    bunyan.configure(env)
    url = env.get("ELASTICIO_POST_RESULT_URL")
    if not url:
        log.critical("ELASTICIO_POST_RESULT_URL is not provided")
        return 1
    code = 0
    attempts = DEFAULT_POST_ATTEMPTS
    try:
        attempts = _post_attempts(env)
        with bound(Context(on_platform=True)):  # the platform never reads a local store
            result = {"status": "success", "data": _call(method, env)}
    except Exception as exc:
        message = exc.message if isinstance(exc, PodioComponentError) else repr(exc)
        log.error("the %s service failed: %s", method, message)
        result = {"status": "error", "data": {"message": message}}
        code = 1 if isinstance(exc, SetupError) else 0
    try:
        post_result(url, result, attempts)
    except ResultNotPosted as exc:
        log.critical("%s", exc.message)
        return 1
    return code


def _post_attempts(env: Mapping[str, str]) -> int:
    raw = env.get("ELASTICIO_API_REQUEST_RETRY_ATTEMPTS") or str(DEFAULT_POST_ATTEMPTS)
    if not (raw.strip().isascii() and raw.strip().isdigit()):
        raise SetupError(
            f"ELASTICIO_API_REQUEST_RETRY_ATTEMPTS must be a whole number, got {raw!r}"
        )
    return int(raw)


def _call(method: str, env: Mapping[str, str]) -> Any:
    if method not in METHODS:
        raise SetupError(f"Unknown service method {method!r}; expected one of {', '.join(METHODS)}")
    try:
        environment()
    except PodioComponentError as exc:
        raise SetupError(f"the component's environment is not usable: {exc.message}") from None
    try:
        cfg = json.loads(env.get("ELASTICIO_CFG") or "")
    except ValueError:
        raise ServiceError("ELASTICIO_CFG is not provided or not valid JSON") from None
    if not isinstance(cfg, dict):
        raise ServiceError("ELASTICIO_CFG must be a JSON object")
    if method == "verifyCredentials":
        return _verify(cfg)
    action = env.get("ELASTICIO_ACTION_OR_TRIGGER")
    if not action:
        raise ServiceError("ELASTICIO_ACTION_OR_TRIGGER is not provided")
    name = method if method == "getMetaModel" else env.get("ELASTICIO_GET_MODEL_METHOD")
    if not name:
        raise ServiceError("ELASTICIO_GET_MODEL_METHOD is not provided")
    try:
        path = env.get("ELASTICIO_COMPONENT_PATH", "")
        module = importlib.import_module(descriptor.action(action, path)["main"])
    except UsageError as exc:
        raise ServiceError(exc.message) from None
    function = getattr(module, name, None)
    if not callable(function):
        raise ServiceError(f'Method "{name}" is not found in "{action}" action or trigger')
    return function(cfg)


def _verify(cfg: dict[str, Any]) -> dict[str, Any]:
    """Verified, not verified (the credential's fault), or an exception (the check itself
    could not run: Podio or the platform unreachable, rate-limited, failing)."""
    try:
        return verify(cfg)
    except PodioComponentError as exc:
        cannot_run = (
            exc.retry_later
            or isinstance(exc, PodioTransportError)
            or (isinstance(exc, PodioHTTPError) and exc.status >= 500)
        )
        if cannot_run:
            raise
        return {"verified": False, "reason": exc.message}
