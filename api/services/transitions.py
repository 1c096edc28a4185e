"""The one write path of every transition of a dossier's workflow:
lock → restore → act → plan → write.

Whoever triggers it (an officer completing a step, reception receiving a dossier; later a
timer, a message from another agency), a transition locks the dossier, restores its workflow
from the saved state and pinned version, acts on it, asks the engine for the plan of what
changed (`engine.plan_transition`, pure) and writes that plan in the caller's transaction
(`store.write_transition`). The lock and the act differ per trigger; the rest is here, once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine import (
    Before,
    EngineError,
    FormInvalid,
    ProcessInstance,
    TaskNotReady,
    TransitionPlan,
    WorkflowStalled,
    before_act,
    plan_transition,
)
from engine.errors import element_of
from engine.serializer import SPIFF_SERIALIZER_VERSION

from ..store import (
    DossierRef,
    ProcedureVersion,
    Writer,
    db,
    due_dates,
    flush_writes,
    task_rows,
    write_transition,
)
from .actor import Actor
from .errors import Conflict, Invalid
from .interlink import follow
from .procedures import compiled_version
from .runtime import Operation, rollback

_LOG = logging.getLogger("motcua.engine")


@dataclass(frozen=True)
class Act:
    """What the act did to the workflow, for the plan and the event log."""

    action: str
    completed: str | None = None  # the task id the act completed
    completed_step: str | None = None
    submitted: dict[str, Any] | None = None  # the answers that completed it
    rescheduled: dict[str, datetime] | None = None  # open tasks' new due dates, if any moved
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    """A written transition: the plan, and the dossier's open task rows after it."""

    dossier: DossierRef
    plan: TransitionPlan
    open_tasks: list[dict[str, Any]]
    plan_at: datetime  # the operation's instant


def restore(dossier: DossierRef, op: Operation) -> ProcessInstance:
    """Returns the dossier's workflow, restored from its saved state and pinned version, to
    run at the operation's instant with its agency's calendar."""
    saved_spec = None
    if dossier.spiff_version != SPIFF_SERIALIZER_VERSION:
        # Only a state written by another SpiffWorkflow version needs the spec saved with it.
        saved_spec = db.session.get(ProcedureVersion, dossier.procedure_version_id).saved_spec
    return ProcessInstance.restore(
        compiled_version(dossier.procedure_version_id),
        dossier.workflow_state,
        saved_spec=saved_spec,
        clock=op.clock_of(dossier.agency_id),
    )


def standing(instance: ProcessInstance, status: int | None) -> Before:
    """Returns where a restored workflow stands before the act: its status and its open tasks
    with their due dates, as its saved state records them (a state saved before due dates were
    recorded there has them filled in from the task rows)."""
    before = before_act(instance, status)
    if before.missing_due_dates:
        before = before.with_due_dates(due_dates(before.missing_due_dates))
    return before


@contextmanager
def acting() -> Iterator[None]:
    """Turns what the engine raises while acting into the domain's errors, each naming the
    diagram element it happened at (nothing was written: the caller saves only after)."""
    try:
        yield
    except TaskNotReady:
        raise Conflict("the task is no longer open in the workflow") from None
    except FormInvalid:
        raise  # the form's own field errors, mapped by the HTTP layer
    except (SpiffWorkflowException, EngineError) as exc:
        element = element_of(exc) or "(workflow)"
        if isinstance(exc, WorkflowStalled):
            # Not the officer's doing: the diagram cannot go on. Operators must hear of it.
            _LOG.warning("workflow stalled", extra={"element": element, "error": str(exc)[:500]})
        message = f"the workflow could not continue: {exc}"
        raise Invalid(message, {element: [str(exc)[:500]]}) from None
    except (RecursionError, OverflowError, MemoryError) as exc:
        # A diagram or data that exhausts the engine: the step fails, the worker survives.
        raise Invalid(
            f"the workflow could not continue: {type(exc).__name__}",
            {"(workflow)": ["the step exceeded the engine's limits"]},
        ) from None


def apply(
    dossier: DossierRef,
    before: Before,
    instance: ProcessInstance,
    act: Act,
    *,
    op: Operation,
    actor: Actor,
    describe: bool = True,
) -> Transition:
    """Returns the transition once planned and written in the caller's transaction;
    Conflict (nothing kept) when another change reached the dossier first. Without
    `describe` (a background transition nobody reads back), the open task rows are not
    read again."""
    plan = plan_transition(
        instance,
        before,
        action=act.action,
        at=op.at,
        calendar=op.calendar_of(dossier.agency_id),
        completed=act.completed,
        completed_step=act.completed_step,
        detail=act.detail,
        reminders=op.reminders_of(dossier.agency_id),
    )
    opened = write_transition(
        dossier,
        plan,
        at=op.at,
        by=Writer(actor.officer_id, actor.agency_id),
        submitted=act.submitted,
        rescheduled=act.rescheduled,
        calendar_version=op.calendar_of(dossier.agency_id).version,
    )
    follows = dossier.group_id is not None or bool(plan.messages)
    if follows and opened is not None and not flush_writes():
        # The group's bookkeeping and its events come after the transition's own: a write
        # kept for a batch (`store.WriteBatch`) is written first, and may find it moved.
        opened = None
    if opened is None:
        rollback()
        raise Conflict("the dossier changed meanwhile; reload and try again")
    if follows:
        follow(dossier, plan, op, actor.officer_id)
    if not describe:
        return Transition(dossier, plan, [], op.at)
    open_rows = opened + task_rows(list(plan.still_open))
    open_rows.sort(key=lambda row: (row["due_at"], row["id"]))
    for row in open_rows:
        row["overdue"] = row["due_at"] < op.at
    return Transition(dossier, plan, open_rows, op.at)
