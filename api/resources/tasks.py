"""GET /api/tasks (the inbox), GET /api/tasks/{id}, and claim, release, complete."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields

from ..auth import current_actor, login_required
from ..body import Blueprint
from ..schemas.tasks import (
    MAX_PAGE_SIZE,
    CompletedTaskSchema,
    CompleteTaskSchema,
    InboxArgsSchema,
    InboxSchema,
    TaskDetailSchema,
    TaskSummarySchema,
)
from ..services import (
    InboxQuery,
    claim_task,
    complete_task,
    inbox,
    release_task,
    task_detail,
)
from ..services.assignment import assign_task

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="Công việc của cán bộ")


@blp.route("")
@login_required
@blp.arguments(InboxArgsSchema, location="query")
@blp.response(200, InboxSchema)
def list_tasks(args):
    """The caller's inbox: open tasks of their agency and roles, unclaimed or theirs, by due
    date."""
    limit = min(args.get("limit", current_app.config["MOTCUA_INBOX_PAGE_SIZE"]), MAX_PAGE_SIZE)
    page = inbox(
        current_actor(),
        InboxQuery(
            mine_only=args.get("assignee") == "me",
            procedure=args.get("procedure"),
            overdue=args.get("overdue"),
            due_soon=args.get("due_soon"),
            limit=limit,
            after=args.get("cursor"),
        ),
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/<string:task_id>")
@login_required
@blp.response(200, TaskDetailSchema)
def show_task(task_id):
    """One task with its form (JSON Schema) and the data the form starts from."""
    return task_detail(current_actor(), task_id)


@blp.route("/<string:task_id>/claim", methods=["POST"])
@login_required
@blp.response(200, TaskSummarySchema)
def claim(task_id):
    """Take the task; 409 when another officer already holds it."""
    return claim_task(current_actor(), task_id)


@blp.route("/<string:task_id>/release", methods=["POST"])
@login_required
@blp.response(200, TaskSummarySchema)
def release(task_id):
    """Put the task back in the pool (its holder, or a leader of the agency)."""
    return release_task(current_actor(), task_id)


@blp.route("/<string:task_id>/complete", methods=["POST"])
@login_required
@blp.arguments(CompleteTaskSchema)
@blp.response(200, CompletedTaskSchema)
def complete(body, task_id):
    """Finish the task with its form answers; 422 lists every field error.

    The answer lists the tasks the dossier now has open, so a client can move on without
    reading the dossier again."""
    completion = complete_task(current_actor(), task_id, body["data"])
    return {
        **completion.task,
        "dossier_status": completion.transition.dossier.status,
        "next_tasks": completion.transition.open_tasks,
    }


class AssignTaskSchema(Schema):
    username = fields.String(
        required=True, metadata={"description": "the officer of the agency who takes the task"}
    )


@blp.route("/<string:task_id>/assign", methods=["POST"])
@login_required
@blp.arguments(AssignTaskSchema)
@blp.response(200, TaskSummarySchema)
def assign(body, task_id):
    """A leader (role lanh_dao) gives an open or claimed task to an active officer of the
    agency who holds its role (422 naming `username` otherwise; 403 for others; 409 once it
    is finished)."""
    return assign_task(current_actor(), task_id, body["username"])
