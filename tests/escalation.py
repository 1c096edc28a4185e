"""A test procedure whose appraisal carries an interrupting boundary timer that escalates an
untouched appraisal to the agency's leader (`tests/fixtures/bpmn/escalation.bpmn`), then an
intermediate timer before its end: what the timer tests (API, workers) and the timers'
benchmark deploy and receive."""

from __future__ import annotations

from decimal import Decimal

from processes import AgencyKind, LegalDeadline, Procedure

ESCALATION = Procedure(
    code="9.000004",
    slug="chuyen_lanh_dao",
    name="Chuyển lãnh đạo khi quá hạn (thử nghiệm)",
    agency_kind=AgencyKind.COMMUNE,
    deadline=LegalDeadline(Decimal("3")),
    process_id="chuyen_lanh_dao",
    declaration_form="chuyen_lanh_dao/to_khai",
)
FORMS = {
    "chuyen_lanh_dao/to_khai": {"type": "object", "properties": {"noi_dung": {"type": "string"}}},
    "chuyen_lanh_dao/xu_ly": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
}
SUBMISSION = {
    "procedure": ESCALATION.code,
    "applicant": {"full_name": "Trần Thị Bình"},
    "data": {"noi_dung": "Đề nghị xác nhận"},
}
# The appraisal's boundary timer as shipped in the fixture, for tests that shorten it.
TIMER = "<bpmn:timeDuration>1 ngày làm việc</bpmn:timeDuration>".encode()


def received_at_appraisal(client, token_headers: dict | None = None) -> dict:
    """Returns a dossier of the procedure received by `client` (a reception officer's test
    client, or a plain one with `token_headers`) with its reception done: appraisal is open
    and its boundary timer waits."""
    extra = {"headers": token_headers} if token_headers else {}
    dossier = client.post("/api/dossiers", json=SUBMISSION, **extra).get_json()
    [task] = dossier["tasks"]
    assert client.post(f"/api/tasks/{task['id']}/claim", **extra).status_code == 200
    done = client.post(f"/api/tasks/{task['id']}/complete", json={"data": {"ok": True}}, **extra)
    assert done.status_code == 200, done.get_json()
    return dossier
