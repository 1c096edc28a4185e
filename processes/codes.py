"""Returns the keys the domain prints: the national dossier code."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

# Codes carry the day in Vietnam, whatever the server's timezone.
_VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def dossier_code(agency_code: str, received_at: datetime, sequence: int) -> str:
    """Returns the national dossier code: <agency code>-<yyMMdd>-<4-digit sequence>."""
    return f"{agency_code}-{received_at.astimezone(_VIETNAM):%y%m%d}-{sequence:04d}"
