"""What a transition of a dossier changes in its interlinked group, in the same transaction:
the messages it threw become handoffs (with the outbox jobs that deliver them), a handoff
kept for it is released when it now waits for that message, and its part of the group (and
the group's own status) follows its status.

Called by the one write path (`transitions.apply`) after the transition is written, with the
dossier still locked; the group row is locked next (always in this order: dossier, then
group), so parallel agencies finishing at once update the group one after the other.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select, update

from engine import Collaboration, TransitionPlan, read_collaboration
from processes import DossierStatus, EventAction, HandoffState

from ..store import (
    DossierRef,
    GroupDossier,
    GroupPart,
    Handoff,
    ProcedureVersion,
    add_job,
    db,
    log_event,
)
from .catalogue import member_procedure, procedure_for
from .runtime import Operation, runtime

_LOG = logging.getLogger("motcua.handoffs")
DELIVER_HANDOFF = "deliver_handoff"  # the job that delivers one handoff (api/jobs/handlers.py)


def follow(dossier: DossierRef, plan: TransitionPlan, op: Operation, officer_id: int | None):
    """Records the plan's consequences for the dossier's group (nothing for a dossier that
    is not in one: a message thrown outside a group has nobody to go to, and is logged)."""
    if dossier.group_id is None:
        if plan.messages:
            _LOG.info(
                "message thrown outside a group is not delivered",
                extra={"dossier": dossier.code, "message": [m.name for m in plan.messages]},
            )
        return
    group = lock_group(dossier.group_id)
    chosen = set(group.procedures)
    routes = collaboration_of(dossier.procedure_version_id)
    source = procedure_for(dossier).process_id
    members = {member_procedure(group, code).process_id: code for code in chosen}
    for message in plan.messages:
        for target_process in routes.targets(source, message.name):
            target = members.get(target_process)
            if target is None:
                continue  # not requested by the applicant: that agency never hears of it
            record_handoff(group, dossier, message.name, target, message.payload, op)
            log_event(
                dossier_id=dossier.id,
                agency_id=dossier.agency_id,
                officer_id=officer_id,
                action=EventAction.HANDED_OVER.value,
                at=op.at,
                detail={"message": message.name, "procedure": target},
            )
    if plan.awaited:
        release_waiting(dossier.id, plan.awaited, op)
    part = db.session.scalars(
        select(GroupPart).where(
            GroupPart.group_id == group.id, GroupPart.procedure_code == dossier.procedure_code
        )
    ).one()
    part.status = plan.status_after
    if plan.finished and part.finished_at is None:
        finish_part(part, plan.status_after, op)
    settle_group(group, op.at)


def finish_part(part: GroupPart, status: int, op: Operation) -> None:
    """Marks a group's part finished now with its final status and its outcome against its
    due instant (early, on time, late: counted by session)."""
    part.status, part.finished_at = int(status), op.at
    if part.due_at is not None:
        part.outcome = op.calendar_of(part.agency_id).outcome(op.at, part.due_at)


def record_handoff(
    group: GroupDossier,
    sender: DossierRef,
    message: str,
    procedure_code: str,
    payload: dict,
    op: Operation,
) -> Handoff:
    """Returns a new pending handoff with the outbox job that delivers it, and marks the
    receiving part handed over."""
    handoff = Handoff(
        id=str(uuid.uuid4()),
        group_id=group.id,
        message=message,
        from_dossier_id=sender.id,
        from_agency_id=sender.agency_id,
        procedure_code=procedure_code,
        payload=payload,
        state=HandoffState.PENDING.value,
        attempts=0,
        created_at=op.at,
    )
    db.session.add(handoff)
    db.session.flush()
    add_job(DELIVER_HANDOFF, [handoff.id], at=op.at, max_attempts=runtime().jobs.max_attempts)
    db.session.execute(
        update(GroupPart)
        .where(
            GroupPart.group_id == group.id,
            GroupPart.procedure_code == procedure_code,
            GroupPart.handed_over_at.is_(None),
        )
        .values(handed_over_at=op.at)
    )
    return handoff


def release_waiting(dossier_id: int, awaited: frozenset[str], op: Operation) -> None:
    """Hands kept messages the dossier now waits for back to delivery."""
    kept = db.session.scalars(
        select(Handoff).where(
            Handoff.to_dossier_id == dossier_id,
            Handoff.state == HandoffState.WAITING.value,
        )
    )
    for handoff in kept:
        if handoff.message in awaited:
            handoff.state = HandoffState.PENDING.value
            add_job(
                DELIVER_HANDOFF, [handoff.id], at=op.at, max_attempts=runtime().jobs.max_attempts
            )


def lock_group(group_id: int) -> GroupDossier:
    """Returns the group dossier, its row locked until the transaction ends.

    FOR NO KEY UPDATE, not FOR UPDATE: writing a row that references the group (a handoff,
    a part, a dossier) makes PostgreSQL take a KEY SHARE lock on the group row for the
    foreign key, which FOR UPDATE conflicts with. Two agencies' deliveries of one group, each
    holding KEY SHARE and asking for FOR UPDATE, deadlocked; NO KEY UPDATE queues them
    instead, as it should (we never change the group's key)."""
    return db.session.scalars(
        select(GroupDossier)
        .where(GroupDossier.id == group_id)
        .with_for_update(of=GroupDossier, key_share=True)
        .execution_options(populate_existing=True)
    ).one()


def parts_of(group_id: int) -> list[GroupPart]:
    """Returns a group's parts in the group's order."""
    return list(
        db.session.scalars(
            select(GroupPart).where(GroupPart.group_id == group_id).order_by(GroupPart.position)
        )
    )


def settle_group(group: GroupDossier, at: datetime) -> None:
    """Sets the group's status from its parts: the first agency's status while it alone
    works; processing (4) once another agency took its part over; finished when every
    chosen procedure finished — returned (10) only if every one returned its result; the
    first agency's end (refused, stopped) when it ends without handing anything over."""
    db.session.flush()
    parts = parts_of(group.id)
    first, others = parts[0], parts[1:]
    if first.finished_at is not None and first.status != DossierStatus.DELIVERED:
        status, finished = first.status, True
    elif all(part.finished_at is not None for part in parts):
        delivered = all(part.status == DossierStatus.DELIVERED for part in parts)
        status = DossierStatus.DELIVERED if delivered else DossierStatus.STOPPED
        finished = True
    elif any(part.taken_over_at is not None for part in others):
        status, finished = DossierStatus.PROCESSING, False
    else:
        status, finished = first.status, False
    if status is not None:
        group.status = int(status)
    if finished and group.finished_at is None:
        group.finished_at = at
    group.updated_at = at


def collaboration_of(version_id: int) -> Collaboration:
    """Returns the handoff routes of the diagram a procedure version was deployed from
    (versions never change, so each is read once per process)."""
    cache = runtime().collaborations
    if version_id not in cache:
        bpmn = db.session.scalar(
            select(ProcedureVersion.bpmn_source).where(ProcedureVersion.id == version_id)
        )
        cache[version_id] = read_collaboration(bpmn)
    return cache[version_id]
