"""WSGI app for the emulated Podio API and OAuth endpoints."""

from __future__ import annotations

import contextlib
import html
import json
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from podio_component.emulator.faults import Fault, FaultPlan, RequestLog
from podio_component.emulator.world import ApiError, Grant, PodioWorld

JSON_TYPE = "application/json; charset=utf-8"

# Podio is slash-aware but tolerant; routes are matched with any trailing slash removed.
ROUTES = Map(
    [
        Rule("/oauth/authorize", endpoint="authorize", methods=["GET", "POST"]),
        Rule("/oauth/token", endpoint="token", methods=["POST"]),
        Rule("/oauth/token/v2", endpoint="token_v2", methods=["POST"]),
        Rule("/user", endpoint="user", methods=["GET"]),
        Rule("/user/status", endpoint="user_status", methods=["GET"]),
        Rule("/org", endpoint="orgs", methods=["GET"]),
        Rule("/org/<int:org_id>", endpoint="org", methods=["GET"]),
        Rule("/space/<int:space_id>", endpoint="space", methods=["GET"]),
        Rule("/app/<int:app_id>", endpoint="app", methods=["GET"]),
        Rule("/item/<int:item_id>", endpoint="item", methods=["GET", "PUT", "DELETE"]),
        Rule("/item/app/<int:app_id>", endpoint="create_item", methods=["POST"]),
        Rule("/item/app/<int:app_id>/filter", endpoint="filter_items", methods=["POST"]),
        Rule("/file/<int:file_id>", endpoint="file", methods=["GET"]),
        Rule("/file/<int:file_id>/raw", endpoint="file_raw", methods=["GET"]),
    ],
    strict_slashes=False,
)
LIMITED_ENDPOINTS = frozenset({"filter_items"})  # "rate limited" operations: lower ceiling


def envelope(request: Request, error: str, description: str) -> dict[str, Any]:
    """Podio's error body."""
    return {
        "error_parameters": {},
        "error_detail": None,
        "error_propagate": False,
        "request": {
            "url": f"http://api.podio.com{request.path}",
            "query_string": request.query_string.decode("latin-1"),
            "method": request.method,
        },
        "error_description": description,
        "error": error,
    }


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers, content_type=JSON_TYPE)


def bearer_token(request: Request) -> str | None:
    """The token from `Authorization: OAuth2 <t>` or `Bearer <t>`, or the legacy oauth_token."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() in ("oauth2", "bearer") and token.strip():
        return token.strip()
    return request.args.get("oauth_token")


def client_credentials(request: Request, params: dict[str, str]) -> tuple[str, str]:
    """Client id and secret from HTTP Basic, or from the body."""
    if request.authorization and request.authorization.type == "basic":
        return request.authorization.username or "", request.authorization.password or ""
    return params.get("client_id", ""), params.get("client_secret", "")


class PodioApp:
    def __init__(self, world: PodioWorld, faults: FaultPlan, log: RequestLog) -> None:
        self.world = world
        self.faults = faults
        self.log = log

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        request_id = request.headers.get("X-Podio-Request-Id") or secrets.token_hex(4)
        fault = self.faults.take(request.method, request.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.drop and not fault.apply:
            return self._drop(environ, request, fault)
        # A status or malformed fault replaces Podio's answer, unless Podio acts first.
        replaced = (
            fault is not None and not fault.apply and (fault.status is not None or fault.malformed)
        )
        response = Response() if replaced else self._answer(request)
        if fault:
            response = self._faulted(request, response, fault)
            # A body-less response cannot be cut short: the closest fault is a drop.
            if fault.drop or (fault.truncate and not response.get_data()):
                return self._drop(environ, request, fault)
        response.headers.setdefault("X-Podio-Request-Id", request_id)
        self.log.record(
            "podio",
            request.method,
            request.path,
            request.query_string.decode("latin-1"),
            response.status_code,
            fault,
        )
        if fault and fault.truncate:
            return _truncated(environ, response, start_response)
        return response(environ, start_response)

    # ---- faults ------------------------------------------------------------------------

    def _faulted(self, request: Request, response: Response, fault: Fault) -> Response:
        if fault.malformed:
            response = Response(
                b'{"item_id": 12, "title": "cut', status=fault.status or 200, content_type=JSON_TYPE
            )
        elif fault.status is not None:
            body = fault.body
            if body is None:
                description = (
                    "You have hit the rate limit. Please wait 1 seconds before trying again."
                    if fault.status == 420
                    else "Injected fault"
                )
                body = envelope(request, _default_error(fault.status), description)
            if isinstance(body, (dict, list)):
                response = json_response(body, fault.status)
            else:
                response = Response(body, status=fault.status, content_type="text/plain")
        response.headers.update(fault.headers)
        return response

    def _drop(self, environ: dict[str, Any], request: Request, fault: Fault) -> Iterable[bytes]:
        self.log.record(
            "podio",
            request.method,
            request.path,
            request.query_string.decode("latin-1"),
            None,
            fault,
        )
        _close(environ)
        raise ConnectionAbortedError("emulator dropped the connection (injected fault)")

    # ---- routing -----------------------------------------------------------------------

    def _answer(self, request: Request) -> Response:
        """Route and run one request; every answer carries Podio's rate-limit headers."""
        ceiling = self.world.limits.rate_limit
        limit, remaining = ceiling, ceiling  # calls that are not counted (OAuth, 401)
        path = request.path.rstrip("/") or "/"
        try:
            endpoint, args = ROUTES.bind("api.podio.com", path_info=path).match(
                method=request.method
            )
            if endpoint in ("authorize", "token", "token_v2"):
                response: Response = getattr(self, f"_{endpoint}")(request)
            else:
                grant = self.world.authenticate(bearer_token(request))
                limit, remaining = self.world.count_call(grant, endpoint in LIMITED_ENDPOINTS)
                response = getattr(self, f"_{endpoint}")(request, grant, **args)
        except ApiError as exc:
            response = json_response(
                envelope(request, exc.error, exc.description), exc.status, exc.headers
            )
        except HTTPException:  # no route, or a method the route lacks: Podio says not_found
            response = json_response(
                envelope(request, "not_found", "No matching operation could be found."), 404
            )
        response.headers.setdefault("X-Rate-Limit-Limit", str(limit))
        response.headers.setdefault("X-Rate-Limit-Remaining", str(remaining))
        return response

    # ---- OAuth -------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        if request.mimetype == "application/json":
            params = _json_object(request)
        else:
            params = {k: v for k, v in request.form.items()}
        return self._grant(request, params)

    def _token_v2(self, request: Request) -> Response:
        if request.mimetype != "application/json":
            raise ApiError(400, "invalid_value", "Invalid value null (null): must be object")
        return self._grant(request, _json_object(request))

    def _grant(self, request: Request, params: dict[str, str]) -> Response:
        client_id, client_secret = client_credentials(request, params)
        return json_response(self.world.token_grant(params, client_id, client_secret))

    def _authorize(self, request: Request) -> Response:
        params = request.values
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if client_id not in self.world.clients or not redirect_uri:
            raise ApiError(400, "invalid_request", "Unknown client_id or missing redirect_uri")
        state = params.get("state")
        if request.method == "GET":
            return Response(_consent_page(params), content_type="text/html; charset=utf-8")
        if params.get("decision") != "allow":
            query = {
                "error_reason": "user_denied",
                "error": "access_denied",
                "error_description": "The user denied your request.",
            }
            return _redirect(redirect_uri, "?", query, state)
        user_id = next(iter(self.world.users))
        if params.get("response_type") == "token":
            tokens = self.world.issue_tokens(
                Grant("user", user_id, client_id, params.get("scope") or "global:all")
            )
            fragment = {
                k: str(tokens[k])
                for k in ("access_token", "token_type", "expires_in", "refresh_token", "scope")
            }
            return _redirect(redirect_uri, "#", fragment, state)
        code = self.world.new_code(client_id, redirect_uri, user_id)
        return _redirect(redirect_uri, "?", {"code": code}, state)

    # ---- API ---------------------------------------------------------------------------

    def _user(self, request: Request, grant: Grant) -> Response:
        return json_response(self.world.user_view(grant))

    def _user_status(self, request: Request, grant: Grant) -> Response:
        return json_response(self.world.user_status(grant))

    def _orgs(self, request: Request, grant: Grant) -> Response:
        return json_response([self.world.org_view(org_id) for org_id in self.world.orgs])

    def _org(self, request: Request, grant: Grant, org_id: int) -> Response:
        return json_response(self.world.org_view(org_id))

    def _space(self, request: Request, grant: Grant, space_id: int) -> Response:
        return json_response(self.world.space_view(space_id))

    def _app(self, request: Request, grant: Grant, app_id: int) -> Response:
        return json_response(self.world.app_view(app_id))

    def _item(self, request: Request, grant: Grant, item_id: int) -> Response:
        if request.method == "GET":
            return json_response(self.world.item_view(item_id))
        if request.method == "PUT":
            return json_response(self.world.update_item(item_id, _json_object(request)))
        self.world.delete_item(item_id)
        return Response(status=204)

    def _create_item(self, request: Request, grant: Grant, app_id: int) -> Response:
        return json_response(self.world.create_item(app_id, _json_object(request), grant))

    def _filter_items(self, request: Request, grant: Grant, app_id: int) -> Response:
        return json_response(self.world.filter_items(app_id, _json_object(request)))

    def _file(self, request: Request, grant: Grant, file_id: int) -> Response:
        return json_response(self.world.file_view(file_id))

    def _file_raw(self, request: Request, grant: Grant, file_id: int) -> Response:
        view = self.world.file_view(file_id)
        return Response(
            self.world.file_bytes(file_id),
            content_type=view["mimetype"],
            headers={"Content-Disposition": f'inline; filename="{view["name"]}"'},
        )


def _json_object(request: Request) -> dict[str, Any]:
    if not request.get_data():
        raise ApiError(400, "invalid_value", "Invalid value null (null): must be object")
    try:
        body = json.loads(request.get_data())
    except ValueError:
        raise ApiError(400, "invalid_value", "The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_value", "Invalid value: must be object")
    return body


def _default_error(status: int) -> str:
    return {
        400: "invalid_value",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        409: "conflict",
        410: "gone",
        420: "rate_limit",
        429: "rate_limit",
    }.get(status, "unavailable" if status >= 500 else "error")


def _redirect(target: str, separator: str, params: dict[str, str], state: str | None) -> Response:
    if state is not None:
        params = {**params, "state": state}
    joiner = "&" if separator == "?" and "?" in target else separator
    return Response(status=302, headers={"Location": f"{target}{joiner}{urlencode(params)}"})


def _consent_page(params: Any) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )
    return (
        "<!doctype html><title>Podio emulator: authorize</title>"
        f"<p>Allow <b>{html.escape(params.get('client_id', ''))}</b> to access your Podio data?"
        f'<form method="post" action="/oauth/authorize">{hidden}'
        '<button name="decision" value="allow">Grant access</button> '
        '<button name="decision" value="deny">Deny</button></form>'
    )


def _close(environ: dict[str, Any]) -> None:
    sock: socket.socket | None = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _truncated(
    environ: dict[str, Any], response: Response, start_response: Callable[..., Any]
) -> Iterator[bytes]:
    """Announce the full length, send half the body, then close the connection."""
    body = response.get_data()
    start_response(
        response.status,
        [
            *[(k, v) for k, v in response.headers.items() if k.lower() != "content-length"],
            ("Content-Length", str(len(body))),
        ],
    )
    yield body[: len(body) // 2]
    _close(environ)
    raise ConnectionAbortedError("emulator cut the body short (injected fault)")
