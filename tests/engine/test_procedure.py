"""Compiling a diagram: the human steps it yields, and every finding a designer should hear."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine import DiagramRejected, ProcessCache, compile_process, content_hash
from processes import DossierStatus
from tests.engine.conftest import fixture_bytes

CHECK_FORM = {"test/check": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}


def test_birth_registration_steps_come_from_lanes_and_properties(birth_process):
    steps = birth_process.steps
    assert set(steps) == {
        "tiep_nhan",
        "nhan_bo_sung",
        "tham_dinh",
        "phe_duyet",
        "ky_so",
        "tra_ket_qua",
    }
    assert steps["tiep_nhan"].role == "tiep_nhan"
    assert steps["tham_dinh"].role == "tham_dinh"  # lane "Công chức tư pháp – hộ tịch"
    assert steps["ky_so"].role == "lanh_dao"
    assert steps["tra_ket_qua"].role == "van_thu"
    assert steps["tham_dinh"].budget_days == Decimal("0.25")
    assert steps["tiep_nhan"].form_key == "khai_sinh/tiep_nhan"
    assert steps["tiep_nhan"].title == "Tiếp nhận, kiểm tra hồ sơ"
    assert steps["nhan_bo_sung"].dossier_status is DossierStatus.SUPPLEMENT_REQUESTED
    assert birth_process.end_statuses == {
        "end_refused": DossierStatus.REFUSED,
        "end_done": DossierStatus.DELIVERED,
    }


def test_condition_importing_os_is_refused_at_compile_time():
    marker = Path("/tmp/motcua-pwned")
    marker.unlink(missing_ok=True)
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(fixture_bytes("unsafe_condition.bpmn"), "unsafe", CHECK_FORM)
    elements = {finding.element for finding in rejected.value.findings}
    assert elements == {"f3", "f4"}  # the two sequence flows carrying the conditions
    assert "__import__" in str(rejected.value)
    assert not marker.exists()


def test_every_finding_is_reported_with_its_element(birth_sources):
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(fixture_bytes("careless.bpmn"), "careless", CHECK_FORM)
    messages = [str(finding) for finding in rejected.value.findings]
    assert any(m.startswith("check: lane 'Phòng không tên'") for m in messages)
    assert any(m.startswith("check: form 'test/missing'") for m in messages)
    assert any(m.startswith("check: budget_days") for m in messages)
    assert len(messages) == 3


def test_invalid_form_schema_is_a_finding(birth_sources):
    forms = dict(birth_sources.forms)
    forms["khai_sinh/tham_dinh"] = {"type": "object", "properties": {"x": {"type": "colour"}}}
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(birth_sources.bpmn, "khai_sinh", forms)
    elements = {finding.element for finding in rejected.value.findings}
    assert "form khai_sinh/tham_dinh" in elements
    assert "tham_dinh" in elements  # its task now points at a broken form


def test_unknown_process_id_is_refused(birth_sources):
    with pytest.raises(DiagramRejected):
        compile_process(birth_sources.bpmn, "no_such_process", birth_sources.forms)


def test_element_outside_the_bpmn_schema_is_refused(birth_sources):
    marker = b'<bpmn:startEvent id="start"'
    assert marker in birth_sources.bpmn
    broken = birth_sources.bpmn.replace(marker, b'<bpmn:bogusEvent id="bogus" />' + marker, 1)
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(broken, "khai_sinh", birth_sources.forms)
    assert "bogusEvent" in str(rejected.value)


def test_cache_compiles_each_content_hash_once(birth_sources, monkeypatch):
    import engine.procedure as procedure

    calls = []
    real = procedure.compile_process
    monkeypatch.setattr(
        procedure, "compile_process", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    cache = ProcessCache()
    digest = content_hash("khai_sinh", birth_sources.bpmn, birth_sources.forms)
    sources = lambda: (birth_sources.bpmn, "khai_sinh", birth_sources.forms)  # noqa: E731
    first = cache.get(digest, sources)
    second = cache.get(digest, lambda: pytest.fail("sources read although compiled"))
    assert first is second and len(calls) == 1
    assert first.content_hash == digest


def test_code_anywhere_in_a_diagram_is_checked_timers_included():
    source = fixture_bytes("unsafe_condition.bpmn").replace(
        b'<bpmn:endEvent id="end_a">',
        b'<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition id="timer">'
        b'<bpmn:timeDuration>__import__("os").system("id")</bpmn:timeDuration>'
        b"</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        b'<bpmn:endEvent id="end_a">',
    )
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(source, "unsafe", CHECK_FORM)
    messages = [str(finding) for finding in rejected.value.findings]
    assert any(m.startswith("wait: ") and "__import__" in m for m in messages)
