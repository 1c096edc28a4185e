"""The platform's catalogue: the procedures and interlinked groups designers have deployed,
each as described by its version's descriptor.

A procedure exists once a version of it is deployed; what it is (its name, agency kind, legal
deadline, declaration form) is the descriptor deployed with the version in force, and a
dossier counts by the descriptor of the version it was received under, for its whole life.
Groups likewise, from their group versions. Versions never change once written, so what is
read from them is kept for the life of the process.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from processes import CATALOGUE, Group, Procedure

from ..store import Dossier, GroupDossier, GroupVersion, ProcedureVersion, db
from .errors import NotFound
from .runtime import runtime


def procedure_of(version: ProcedureVersion) -> Procedure:
    """Returns the procedure as the version was deployed with it."""
    found = runtime().procedure_entries.get(version.id)
    if found is None:
        if version.descriptor is not None:
            found = Procedure.from_descriptor(version.descriptor)
        else:  # a row older than descriptors: only shipped procedures had versions then
            found = CATALOGUE[version.procedure_code]
        runtime().procedure_entries[version.id] = found
    return found


def procedure_of_version_id(version_id: int) -> Procedure:
    """Returns the procedure of a version id, reading the version row only once."""
    found = runtime().procedure_entries.get(version_id)
    return (
        found if found is not None else procedure_of(db.session.get(ProcedureVersion, version_id))
    )


def procedure_for(dossier: Dossier) -> Procedure:
    """Returns the procedure a dossier counts by: its own version's."""
    return procedure_of_version_id(dossier.procedure_version_id)


def current_version(procedure_code: str, at: datetime) -> ProcedureVersion | None:
    """Returns the newest version in effect at an instant, or None."""
    return db.session.scalars(
        select(ProcedureVersion)
        .where(
            ProcedureVersion.procedure_code == procedure_code,
            ProcedureVersion.effective_from <= at,
        )
        .order_by(ProcedureVersion.version.desc())
        .limit(1)
    ).first()


def procedure_at(code: str, at: datetime) -> Procedure | None:
    """Returns the procedure as its version in force at an instant describes it, or None
    when no version of it is in force."""
    version = current_version(code, at)
    return procedure_of(version) if version is not None else None


def newest_version(code: str) -> ProcedureVersion | None:
    """Returns a procedure's newest version, in force yet or not, or None."""
    return db.session.scalars(
        select(ProcedureVersion)
        .where(ProcedureVersion.procedure_code == code)
        .order_by(ProcedureVersion.version.desc())
        .limit(1)
    ).first()


def latest_procedure(code: str) -> Procedure | None:
    """Returns the procedure as its newest version describes it, in force yet or not; None
    when it was never deployed."""
    version = newest_version(code)
    return procedure_of(version) if version is not None else None


def procedure_codes() -> list[str]:
    """Returns the code of every procedure with a version, in code order."""
    return list(
        db.session.scalars(
            select(ProcedureVersion.procedure_code)
            .group_by(ProcedureVersion.procedure_code)
            .order_by(ProcedureVersion.procedure_code)
        )
    )


def current_group_version(group_code: str, at: datetime) -> GroupVersion | None:
    """Returns the newest group version in effect at an instant, or None."""
    return db.session.scalars(
        select(GroupVersion)
        .where(GroupVersion.group_code == group_code, GroupVersion.effective_from <= at)
        .order_by(GroupVersion.version.desc())
        .limit(1)
    ).first()


def group_of(version: GroupVersion) -> Group:
    """Returns the group as the group version was deployed with it."""
    found = runtime().group_entries.get(version.id)
    if found is None:
        found = Group.from_descriptor(version.descriptor)
        runtime().group_entries[version.id] = found
    return found


def group_at(code: str, at: datetime) -> Group | None:
    """Returns the group as its version in force at an instant describes it, or None."""
    version = current_group_version(code, at)
    return group_of(version) if version is not None else None


def group_of_version_id(version_id: int) -> Group:
    found = runtime().group_entries.get(version_id)
    return found if found is not None else group_of(db.session.get(GroupVersion, version_id))


def group_codes() -> list[str]:
    """Returns the code of every group with a version, in code order."""
    return list(
        db.session.scalars(
            select(GroupVersion.group_code)
            .group_by(GroupVersion.group_code)
            .order_by(GroupVersion.group_code)
        )
    )


def groups_at(at: datetime) -> list[Group]:
    """Returns every group in force at an instant, in code order."""
    return [g for g in (group_at(code, at) for code in group_codes()) if g is not None]


def groups_with(procedure_code: str, at: datetime) -> list[Group]:
    """Returns the groups in force at an instant that have the procedure as a member."""
    return [g for g in groups_at(at) if g.member(procedure_code) is not None]


def is_group_code(code: str) -> bool:
    """Whether a code names a deployed group (rather than a procedure)."""
    return bool(
        db.session.scalar(select(func.count()).where(GroupVersion.group_code == code).limit(1))
    )


def find_procedure(code: str, at: datetime) -> Procedure:
    """Returns the procedure in force; NotFound when none is."""
    procedure = procedure_at(code, at)
    if procedure is None:
        raise NotFound(f"no procedure {code}")
    return procedure


def group_spec(group: GroupDossier) -> Group:
    """Returns the group a group dossier was received under."""
    if group.group_version_id is not None:
        return group_of_version_id(group.group_version_id)
    found = group_at(group.group_code, group.received_at) or group_at(group.group_code, _END)
    if found is None:
        raise NotFound(f"no group {group.group_code}")
    return found


def member_version(group: GroupDossier, code: str, at: datetime) -> ProcedureVersion | None:
    """Returns the version a member procedure of a group dossier runs under: the one its
    group version pinned, else (a dossier older than group versions) the one in force."""
    if group.group_version_id is not None:
        pinned = db.session.get(GroupVersion, group.group_version_id).member_versions.get(code)
        if pinned is not None:
            return db.session.get(ProcedureVersion, pinned)
    return current_version(code, at)


def member_procedure(group: GroupDossier, code: str) -> Procedure:
    """Returns a member procedure of a group dossier as its pinned version describes it."""
    version = member_version(group, code, group.received_at) or current_version(code, _END)
    if version is None:
        raise NotFound(f"no procedure {code}")
    return procedure_of(version)


_END = datetime.max.replace(tzinfo=UTC)
