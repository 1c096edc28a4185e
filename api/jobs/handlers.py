"""The platform's jobs, by the names the services record in the outbox."""

from __future__ import annotations

from ..services.handoffs import deliver_handoff, handoff_failed
from ..services.interlink import DELIVER_HANDOFF
from ..services.notifications import DELIVER_NOTIFICATION, deliver_notification, delivery_failed
from ..services.supplements import STOP_UNSUPPLEMENTED, stop_unsupplemented
from .runner import register

register(DELIVER_HANDOFF, on_failure=handoff_failed)(deliver_handoff)
register(STOP_UNSUPPLEMENTED)(stop_unsupplemented)
register(DELIVER_NOTIFICATION, on_failure=delivery_failed)(deliver_notification)
