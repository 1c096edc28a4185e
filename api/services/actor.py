"""Who acts: an officer of an agency with roles, or the system acting for a timer, a handoff
or an outside agency. Every operation takes one; none reads it from a request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from processes import LEADER_ROLE, ROLES


class ActorKind(StrEnum):
    OFFICER = "officer"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """The actor of one operation; the agency scopes everything it may see or change."""

    kind: ActorKind
    agency_id: int
    agency_code: str
    agency_kind: str
    roles: frozenset[str] = frozenset()
    officer_id: int | None = None
    username: str | None = None
    reason: str = ""  # for the system: what it acts for ("timer", "handoff from H29.01"…)

    @classmethod
    def officer(
        cls,
        *,
        officer_id: int,
        username: str,
        agency_id: int,
        agency_code: str,
        agency_kind: str,
        roles: frozenset[str],
    ) -> Actor:
        return cls(
            ActorKind.OFFICER,
            agency_id,
            agency_code,
            agency_kind,
            frozenset(roles),
            officer_id,
            username,
        )

    @classmethod
    def system(cls, *, agency_id: int, agency_code: str, agency_kind: str, reason: str) -> Actor:
        """Returns the platform acting in an agency's name; it holds every role there."""
        return cls(
            ActorKind.SYSTEM, agency_id, agency_code, agency_kind, frozenset(ROLES), reason=reason
        )

    @property
    def is_officer(self) -> bool:
        return self.kind is ActorKind.OFFICER

    @property
    def is_leader(self) -> bool:
        return LEADER_ROLE in self.roles

    def __str__(self) -> str:
        return self.username or f"system ({self.reason})"
