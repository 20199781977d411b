"""The emulated Podio API and OAuth endpoints: from a request to Podio's answer."""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from podio_component.emulator.podio import views
from podio_component.emulator.podio.collaboration_api import CollaborationApi
from podio_component.emulator.podio.model import ApiError, Grant, rate_limit_text
from podio_component.emulator.podio.routing import (
    BOOLEAN_PARAMS,
    LIMITED_ENDPOINTS,
    api_route,
    flag,
    json_object,
    oauth_route,
)
from podio_component.emulator.web import json_response


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


def error_response(request: Request, status: int, description: str) -> Response:
    """An error answer in Podio's envelope (also used for injected faults)."""
    if status == 420:
        description = rate_limit_text(1)
    response = json_response(envelope(request, _default_error(status), description), status)
    response.headers["X-Podio-Request-Id"] = _request_id(request)
    return response


def bearer_token(request: Request) -> str | None:
    """The token from `Authorization: OAuth2 <t>` or `Bearer <t>`, or the legacy oauth_token."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() in ("oauth2", "bearer") and token.strip():
        return token.strip()
    return request.args.get("oauth_token")


def client_credentials(request: Request, params: dict[str, Any]) -> tuple[str, str]:
    """Client id and secret from HTTP Basic, or from the body."""
    if request.authorization and request.authorization.type == "basic":
        return request.authorization.username or "", request.authorization.password or ""
    client_id, client_secret = params.get("client_id", ""), params.get("client_secret", "")
    return (
        client_id if isinstance(client_id, str) else "",
        client_secret if isinstance(client_secret, str) else "",
    )


class PodioApp(CollaborationApi):
    """Routes one request to its handler; every answer carries Podio's rate-limit headers."""

    def __call__(self, request: Request) -> Response:
        ceiling = self.world.limits.rate_limit
        limit, remaining = ceiling, ceiling  # calls that are not counted (OAuth, 401)
        path = request.path.rstrip("/") or "/"
        try:
            endpoint, args = ROUTES.bind("api.podio.com", path_info=path).match(
                method=request.method
            )
            handler: Callable[..., Response] = getattr(self, endpoint)
            if endpoint in oauth_route.endpoints:
                response = handler(request)
            else:
                grant = self.world.oauth.authenticate(bearer_token(request))
                limit, remaining = self.world.count_call(
                    grant.ref_type, grant.ref_id, grant.client_id, endpoint in LIMITED_ENDPOINTS
                )
                for name in BOOLEAN_PARAMS:
                    flag(request, name, True)  # a malformed one is Podio's 400
                response = handler(request, grant, **args)
        except ApiError as exc:
            body = envelope(request, exc.error, exc.description)
            body.update(error_detail=exc.detail, error_parameters=exc.parameters)
            response = json_response(body, exc.status, exc.headers)
        except HTTPException:  # no route, or a method the route lacks: Podio says not_found
            response = json_response(
                envelope(request, "not_found", "No matching operation could be found."), 404
            )
        response.headers.setdefault("X-Rate-Limit-Limit", str(limit))
        response.headers.setdefault("X-Rate-Limit-Remaining", str(remaining))
        response.headers.setdefault("X-Podio-Request-Id", _request_id(request))
        return response

    # ---- OAuth -------------------------------------------------------------------------

    @oauth_route("/oauth/token", "POST")
    def token(self, request: Request) -> Response:
        return self._grant(request, _form_or_json(request))

    @oauth_route("/oauth/token/v2", "POST")
    def token_v2(self, request: Request) -> Response:
        if request.mimetype != "application/json":
            raise ApiError(400, "invalid_value", "Invalid value null (null): must be object")
        return self._grant(request, json_object(request))

    @oauth_route("/mfa/verify", "POST")
    def mfa_verify(self, request: Request) -> Response:
        return json_response(self.world.oauth.verify_second_factor(_form_or_json(request)))

    def _grant(self, request: Request, params: dict[str, Any]) -> Response:
        client_id, client_secret = client_credentials(request, params)
        return json_response(self.world.oauth.token_grant(params, client_id, client_secret))

    @oauth_route("/oauth/authorize", "GET", "POST")
    def authorize(self, request: Request) -> Response:
        params = request.values
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if client_id not in self.world.directory.clients or not redirect_uri:
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
        user_id = next(iter(self.world.directory.users))
        if params.get("response_type") == "token":
            tokens = self.world.oauth.issue_tokens(
                Grant("user", user_id, client_id, params.get("scope") or "global:all")
            )
            fragment = {
                k: str(tokens[k])
                for k in ("access_token", "token_type", "expires_in", "refresh_token", "scope")
            }
            return _redirect(redirect_uri, "#", fragment, state)
        code = self.world.oauth.new_code(client_id, redirect_uri, user_id)
        return _redirect(redirect_uri, "?", {"code": code}, state)

    # ---- API ---------------------------------------------------------------------------

    @api_route("/user", "GET")
    def user(self, request: Request, grant: Grant) -> Response:
        return json_response(views.user_view(self.world.directory, grant))

    @api_route("/user/status", "GET")
    def user_status(self, request: Request, grant: Grant) -> Response:
        return json_response(views.user_status(self.world.directory, grant))

    @api_route("/org", "GET")
    def orgs(self, request: Request, grant: Grant) -> Response:
        directory = self.world.directory
        return json_response([views.org_view(directory, org_id) for org_id in directory.orgs])

    @api_route("/org/<int:org_id>", "GET")
    def org(self, request: Request, grant: Grant, org_id: int) -> Response:
        return json_response(views.org_view(self.world.directory, org_id))

    @api_route("/space/<int:space_id>", "GET")
    def space(self, request: Request, grant: Grant, space_id: int) -> Response:
        return json_response(views.space_view(self.world.directory, space_id))

    @api_route("/app/<int:app_id>", "GET")
    def app(self, request: Request, grant: Grant, app_id: int) -> Response:
        return json_response(views.app_view(self.world.directory, app_id))

    @api_route("/app", "GET")
    def apps(self, request: Request, grant: Grant) -> Response:
        directory = self.world.directory
        return json_response([views.app_view(directory, app_id) for app_id in directory.apps])

    @api_route("/app/space/<int:space_id>", "GET")
    def space_apps(self, request: Request, grant: Grant, space_id: int) -> Response:
        directory = self.world.directory
        views.space_view(directory, space_id)  # 404 for an unknown space
        return json_response(
            [
                views.app_view(directory, app_id)
                for app_id, app in directory.apps.items()
                if app["space_id"] == space_id
            ]
        )

    @api_route("/item/<int:item_id>", "GET", "PUT", "DELETE")
    def item(self, request: Request, grant: Grant, item_id: int) -> Response:
        items = self.world.items
        if request.method == "GET":
            viewed = flag(request, "mark_as_viewed", True)
            return json_response(items.view(item_id, mark_as_viewed=viewed))
        hook = flag(request, "hook", True)
        if request.method == "PUT":
            body = json_object(request)
            return json_response(items.update(item_id, body, self.writer(grant), hook))
        items.delete(item_id, self.writer(grant), hook)
        return Response(status=204)

    @api_route("/item/app/<int:app_id>", "POST")
    def create_item(self, request: Request, grant: Grant, app_id: int) -> Response:
        body, hook = json_object(request), flag(request, "hook", True)
        return json_response(self.world.items.create(app_id, body, self.writer(grant), hook))

    @api_route("/item/<int:item_id>/revision", "GET")
    def revisions(self, request: Request, grant: Grant, item_id: int) -> Response:
        return json_response(self.world.items.revision_list(item_id))

    @api_route("/item/<int:item_id>/revision/<int:revision>", "GET")
    def revision(self, request: Request, grant: Grant, item_id: int, revision: int) -> Response:
        with self.world.lock:
            self.world.items.view(item_id)
            return json_response(self.world.items.revisions.one(item_id, revision))

    @api_route("/item/<int:item_id>/revision/<int:low>/<int:high>", "GET")
    def revision_difference(
        self, request: Request, grant: Grant, item_id: int, low: int, high: int
    ) -> Response:
        return json_response(self.world.items.difference(item_id, low, high))

    # ---- hooks -------------------------------------------------------------------------

    @api_route("/hook/<ref_type>/<int:ref_id>", "GET", "POST")
    def hooks(self, request: Request, grant: Grant, ref_type: str, ref_id: int) -> Response:
        if request.method == "GET":
            return json_response(self.world.hooks.listed(ref_type, ref_id))
        return json_response(self.world.hooks.create(ref_type, ref_id, json_object(request)))

    @api_route("/hook/<int:hook_id>", "DELETE")
    def hook(self, request: Request, grant: Grant, hook_id: int) -> Response:
        self.world.hooks.delete(hook_id)
        return Response(status=204)

    @api_route("/hook/<int:hook_id>/verify/request", "POST")
    def request_verification(self, request: Request, grant: Grant, hook_id: int) -> Response:
        self.world.hooks.request_verification(hook_id)
        return Response(status=204)

    @api_route("/hook/<int:hook_id>/verify/validate", "POST")
    def validate_hook(self, request: Request, grant: Grant, hook_id: int) -> Response:
        self.world.hooks.validate(hook_id, json_object(request))
        return Response(status=204)

    @api_route("/item/app/<int:app_id>/filter", "POST")
    def filter_items(self, request: Request, grant: Grant, app_id: int) -> Response:
        user = self.world.directory.users.get(grant.ref_id) if grant.ref_type == "user" else None
        zone = None if user is None else user.get("timezone")
        found = self.world.items.filter(app_id, json_object(request), zone, _bundle(request))
        return json_response(found)

    @api_route("/item/app/<int:app_id>/v2", "GET")
    def items_by_external_id(self, request: Request, grant: Grant, app_id: int) -> Response:
        """Every item with the external ID (podio-py and podio-rb read it), as the filter
        gives items."""
        external_id = request.args.get("external_id", "")
        body = {"filters": {"external_id": [external_id]}, "limit": 500}
        return json_response(self.world.items.filter(app_id, body))

    @api_route("/item/app/<int:app_id>/external_id/<external_id>", "GET")
    def item_by_external_id(
        self, request: Request, grant: Grant, app_id: int, external_id: str
    ) -> Response:
        """One item with the external ID: when several share it, only one, as Podio does."""
        found = self.world.items.filter(app_id, {"filters": {"external_id": [external_id]}})
        if not found["items"]:
            raise ApiError(404, "not_found", f"No item with external_id {external_id!r}")
        return json_response(found["items"][0])

    @api_route("/item/<int:item_id>/value/<field>", "PUT")
    def item_value(self, request: Request, grant: Grant, item_id: int, field: str) -> Response:
        try:
            value = json.loads(request.get_data() or b"null")
        except ValueError:
            raise ApiError(400, "invalid_value", "The body is not valid JSON") from None
        body = {"fields": {field: value}}
        hook = flag(request, "hook", True)
        return json_response(self.world.items.update(item_id, body, self.writer(grant), hook))

    @api_route("/embed", "POST")
    def embed(self, request: Request, grant: Grant) -> Response:
        return json_response(self.world.items.create_embed(json_object(request).get("url")))

    @api_route("/file/<int:file_id>", "GET", "DELETE")
    def file(self, request: Request, grant: Grant, file_id: int) -> Response:
        if request.method == "GET":
            return json_response(self.world.files.view(file_id))
        with self.world.lock:
            item_id = self.world.files.item_of(file_id)
            self.world.files.delete(file_id, self._app_of(item_id))
        return Response(status=204)

    @api_route("/file/<int:file_id>/attach", "POST")
    def attach_file(self, request: Request, grant: Grant, file_id: int) -> Response:
        """`{ref_type, ref_id}`: the file attached; to an item, it is a file.change."""
        body = json_object(request)
        ref_type, ref_id = body.get("ref_type"), body.get("ref_id")
        if ref_type not in ("item", "task", "comment", "status", "space"):
            raise ApiError(400, "invalid_value", f"Invalid ref_type {ref_type!r}")
        if not isinstance(ref_id, int):
            raise ApiError(400, "invalid_value", "ref_id must be an integer")
        with self.world.lock:
            self.world.files.view(file_id)  # 404 first
            if ref_type == "item":
                self.world.items.view(ref_id)  # 404 / 410 first
                self.world.files.attach(file_id, self._app_of(ref_id) or 0, ref_id)
            else:
                self.world.files.attach_to(file_id, str(ref_type), ref_id)
        return Response(status=204)

    @api_route("/file/<int:new_id>/replace", "POST")
    def replace_file(self, request: Request, grant: Grant, new_id: int) -> Response:
        old_id = json_object(request).get("old_file_id")
        if not isinstance(old_id, int):
            raise ApiError(400, "invalid_value", "old_file_id must be an integer")
        with self.world.lock:
            self.world.files.view(new_id)
            item_id = self.world.files.item_of(old_id)
            self.world.files.replace(old_id, new_id, self._app_of(item_id) or 0)
        return Response(status=204)

    def _app_of(self, item_id: int | None) -> int | None:
        stored = self.world.items.stored.get(item_id) if item_id is not None else None
        return None if stored is None else int(stored["app_id"])

    @api_route("/file/<int:file_id>/raw", "GET")
    def file_raw(self, request: Request, grant: Grant, file_id: int) -> Response:
        """The bytes, streamed from where they are kept."""
        view = self.world.files.view(file_id)
        return Response(
            self.world.files.chunks(file_id),
            content_type=view["mimetype"],
            headers={
                "Content-Disposition": f'inline; filename="{view["name"]}"',
                "Content-Length": str(view["size"]),
            },
            direct_passthrough=True,
        )

    @api_route("/file", "POST")
    def upload_file(self, request: Request, grant: Grant) -> Response:
        """`POST /file/` (and `/file/v2/`): multipart, `source` a file part with a file name
        and `filename`; Podio's 404 without `source`, its 400 for a `source` that is no file."""
        source = request.files.get("source")
        if source is None:
            if "source" in request.form:
                raise ApiError(
                    400,
                    "invalid_value",
                    "'source' parameter must given as multipart/form-data with type 'file'",
                )
            raise ApiError(
                404,
                "not_found",
                "No matching operation could be found. Missing parameters: source.",
            )
        name = request.form.get("filename") or source.filename
        if not source.filename or not name:
            raise ApiError(400, "invalid_value", "The source part has no filename")
        uploaded = self.world.files.upload(source.stream, name, self.world.clock.now())
        return json_response(uploaded)

    @api_route("/file/v2", "POST")
    def upload_file_v2(self, request: Request, grant: Grant) -> Response:
        return self.upload_file(request, grant)

    @api_route("/file/app/<int:app_id>", "GET")
    def app_files(self, request: Request, grant: Grant, app_id: int) -> Response:
        """The files on the app's items (`limit` up to 100, 50 by default; `offset`)."""
        limit = int(request.args.get("limit", "50"))
        offset = int(request.args.get("offset", "0"))
        if not 1 <= limit <= 100 or offset < 0:
            raise ApiError(400, "invalid_value", "limit must be from 1 to 100")
        with self.world.lock:
            items = self.world.items
            found = [
                {**self.world.files.view(file_id), "context": {"type": "item", "id": item_id}}
                for file_id in sorted(self.world.files.stored)
                if (item_id := self.world.files.item_of(file_id)) is not None
                and items.stored.get(item_id, {}).get("app_id") == app_id
            ]
        return json_response(found[offset : offset + limit])


# Podio is slash-aware but tolerant; routes are matched with any trailing slash removed.
ROUTES = api_route.map(oauth_route, strict_slashes=False)


def _bundle(request: Request) -> frozenset[str]:
    """What `fields=items.fields(a,b)` asks the filter to add to each item."""
    asked = request.args.get("fields", "")
    if not (asked.startswith("items.fields(") and asked.endswith(")")):
        return frozenset()
    return frozenset(part.strip() for part in asked[len("items.fields(") : -1].split(","))


def _request_id(request: Request) -> str:
    return request.headers.get("X-Podio-Request-Id") or secrets.token_hex(4)


def _form_or_json(request: Request) -> dict[str, Any]:
    if request.mimetype == "application/json":
        return json_object(request)
    return dict(request.form.items())


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
