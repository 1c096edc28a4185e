"""Returns marshmallow fields shared by every resource: times shown in Vietnam's timezone."""

from __future__ import annotations

from datetime import datetime

from marshmallow import fields

from engine.calendar import TIMEZONE
from processes import DossierStatus

# Decimals travel as strings ("0.125"), exactly; say so in the OpenAPI document.
DECIMAL_STRING = {"type": "string", "format": "decimal"}


class LocalDateTime(fields.DateTime):
    """An aware datetime, always written with the +07:00 offset officers read."""

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(TIMEZONE).isoformat(timespec="seconds")


class StatusField(fields.Field):
    """A dossier status as {"code": 4, "label": "Đang xử lý"}."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        status = DossierStatus(value)
        return {"code": int(status), "label": status.label}
