"""The emulated Podio's collaboration endpoints: comments, tasks, status messages and
contacts."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from podio_component.emulator.podio.model import Grant
from podio_component.emulator.podio.routing import WorldApp, api_route, flag, json_object
from podio_component.emulator.web import json_response


class CollaborationApi(WorldApp):
    @api_route("/comment/<ref_type>/<int:ref_id>", "GET", "POST")
    def comments(self, request: Request, grant: Grant, ref_type: str, ref_id: int) -> Response:
        comments = self.world.comments
        if request.method == "GET":
            return json_response(comments.on(ref_type, ref_id))
        body = json_object(request)
        invite = flag(request, "alert_invite", False)
        return json_response(comments.create(ref_type, ref_id, body, self.writer(grant), invite))

    @api_route("/comment/<int:comment_id>", "GET", "DELETE")
    def comment(self, request: Request, grant: Grant, comment_id: int) -> Response:
        if request.method == "DELETE":
            self.world.comments.delete(comment_id)
            return Response(status=204)
        return json_response(self.world.comments.view(comment_id))

    @api_route("/task", "GET", "POST")
    def tasks(self, request: Request, grant: Grant) -> Response:
        if request.method == "GET":
            args = dict(request.args.items())
            return json_response(self.world.tasks.filter(args, self.writer(grant)))
        return json_response(
            self.world.tasks.create(json_object(request), None, self.writer(grant))
        )

    @api_route("/task/<ref_type>/<int:ref_id>", "POST")
    def tasks_on(self, request: Request, grant: Grant, ref_type: str, ref_id: int) -> Response:
        body = json_object(request)
        return json_response(self.world.tasks.create(body, (ref_type, ref_id), self.writer(grant)))

    @api_route("/task/<int:task_id>", "GET", "PUT", "DELETE")
    def task(self, request: Request, grant: Grant, task_id: int) -> Response:
        tasks = self.world.tasks
        if request.method == "DELETE":
            tasks.delete(task_id)
            return Response(status=204)
        if request.method == "PUT":
            tasks.update(task_id, json_object(request), self.writer(grant))
        return json_response(tasks.view(task_id, self.writer(grant)))

    @api_route("/task/<int:task_id>/complete", "POST")
    def complete_task(self, request: Request, grant: Grant, task_id: int) -> Response:
        return json_response(self.world.tasks.complete(task_id, self.writer(grant)))

    @api_route("/task/<int:task_id>/incomplete", "POST")
    def incomplete_task(self, request: Request, grant: Grant, task_id: int) -> Response:
        return json_response(self.world.tasks.incomplete(task_id))

    @api_route("/task/label", "GET")
    def task_labels(self, request: Request, grant: Grant) -> Response:
        return json_response(self.world.tasks.user_labels())

    @api_route("/status/space/<int:space_id>", "POST")
    def statuses(self, request: Request, grant: Grant, space_id: int) -> Response:
        body = json_object(request)
        invite = flag(request, "alert_invite", False)
        return json_response(self.world.statuses.create(space_id, body, self.writer(grant), invite))

    @api_route("/status/<int:status_id>", "GET", "DELETE")
    def status(self, request: Request, grant: Grant, status_id: int) -> Response:
        if request.method == "DELETE":
            self.world.statuses.delete(status_id)
            return Response(status=204)
        return json_response(self.world.statuses.view(status_id))

    @api_route("/contact", "GET")
    def contacts(self, request: Request, grant: Grant) -> Response:
        return json_response(self.world.people.contacts(request.args.getlist("mail")))
