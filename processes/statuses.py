"""The national dossier status codes and intake channels (docs/domain.md#dossier-statuses)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class DossierStatus(IntEnum):
    """Status of a dossier, as the national public-service portal codes it."""

    SUBMITTED = 1  # Mới đăng ký
    ACCEPTED = 2  # Được tiếp nhận
    REFUSED = 3  # Không được tiếp nhận
    PROCESSING = 4  # Đang xử lý
    SUPPLEMENT_REQUESTED = 5  # Yêu cầu bổ sung giấy tờ
    FEES_DUE = 6  # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = 7  # Công dân yêu cầu rút hồ sơ
    STOPPED = 8  # Dừng xử lý
    RESULT_READY = 9  # Đã xử lý xong
    DELIVERED = 10  # Đã trả kết quả

    @property
    def label(self) -> str:
        """Returns the Vietnamese name officers and citizens see."""
        return _LABELS[self]

    @property
    def is_terminal(self) -> bool:
        """Returns True when nothing more happens to a dossier in this status."""
        return self in _TERMINAL


_LABELS = {
    DossierStatus.SUBMITTED: "Mới đăng ký",
    DossierStatus.ACCEPTED: "Được tiếp nhận",
    DossierStatus.REFUSED: "Không được tiếp nhận",
    DossierStatus.PROCESSING: "Đang xử lý",
    DossierStatus.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung giấy tờ",
    DossierStatus.FEES_DUE: "Yêu cầu thực hiện nghĩa vụ tài chính",
    DossierStatus.WITHDRAWN: "Công dân yêu cầu rút hồ sơ",
    DossierStatus.STOPPED: "Dừng xử lý",
    DossierStatus.RESULT_READY: "Đã xử lý xong",
    DossierStatus.DELIVERED: "Đã trả kết quả",
}
_TERMINAL = frozenset(
    {DossierStatus.REFUSED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED, DossierStatus.DELIVERED}
)


class Channel(IntEnum):
    """How a dossier reached the agency (kênh tiếp nhận)."""

    COUNTER = 1  # trực tiếp tại Bộ phận Một cửa
    ONLINE = 2  # trực tuyến
    POST = 3  # dịch vụ bưu chính công ích


class TaskState(StrEnum):
    """Where one step of a dossier stands in the inbox."""

    OPEN = "open"  # waiting for an officer to claim it
    CLAIMED = "claimed"  # held by one officer
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the workflow moved on without it (another branch won)


OPEN_TASK_STATES = (TaskState.OPEN.value, TaskState.CLAIMED.value)


class EventAction(StrEnum):
    """What an event of a dossier's log records."""

    SUBMITTED = "submitted"
    CLAIMED = "claimed"
    RELEASED = "released"
    ASSIGNED = "assigned"  # a leader gave an open or claimed task to an officer
    COMPLETED = "completed"
    # Interlinked groups: a handoff recorded on the sender's dossier, the receiver's dossier
    # started by it (or a waiting step of it resumed), an outside agency's reported result.
    HANDED_OVER = "handed_over"
    TAKEN_OVER = "taken_over"
    MESSAGE_RECEIVED = "message_received"
    RESULT_REPORTED = "result_reported"
    # Deadlines: the agency's apology and new appointment date.
    APOLOGIZED = "apologized"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENT_RECEIVED = "supplement_received"
    STOPPED = "stopped"
    # A BPMN timer of the diagram fired (the platform's clock reached its due time), or
    # could not be fired (the diagram's fault: tried again later, and said in the log).
    TIMER_FIRED = "timer_fired"
    TIMER_FAILED = "timer_failed"
    # A signing step issued its result document (signed with the agency's key, or kept
    # unsigned with the reason in the detail).
    DOCUMENT_ISSUED = "document_issued"


class HandoffState(StrEnum):
    """Where a message from one agency's process to another's stands."""

    PENDING = "pending"  # recorded, to be delivered (retried with backoff)
    WAITING = "waiting"  # the receiver exists but does not wait for it yet: kept until it does
    SENT = "sent"  # delivered to an outside agency, which reports its result later
    DELIVERED = "delivered"  # the receiving process took it (or the outside agency's result came)
    FAILED = "failed"  # every try failed: an operator retries it


class JobState(StrEnum):
    """Where a unit of background work recorded in the outbox stands."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
