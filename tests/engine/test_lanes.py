"""Lane names → roles: `processes.role_for_lane` reads a lane name as officers write it, whatever
the case, the Unicode normalization of its Vietnamese letters (NFC or NFD), the spacing or the
dash (hyphen, en or em dash), accepts a role's code, and names no role for anything else; a
diagram whose lanes are written that way compiles with the same roles."""

from __future__ import annotations

import unicodedata

import pytest

from engine import DiagramRejected, compile_process
from processes import ROLES, role_for_lane


def nfd(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text, "the NFD form must differ for the test to mean anything"
    return decomposed


CANONICAL = "Công chức tư pháp – hộ tịch"  # en dash, as roles.py lists it

VARIANTS = {
    "as listed": (CANONICAL, "tham_dinh"),
    "lower case, hyphen": ("công chức tư pháp - hộ tịch", "tham_dinh"),
    "upper case, em dash": ("CÔNG CHỨC TƯ PHÁP — HỘ TỊCH", "tham_dinh"),
    "hyphen without spaces": ("Công chức tư pháp-hộ tịch", "tham_dinh"),
    "en dash, spaces around it doubled": ("Công chức tư pháp  –   hộ tịch", "tham_dinh"),
    "NFD": (nfd(CANONICAL), "tham_dinh"),
    "NFD, lower case, hyphen": (nfd("công chức tư pháp - hộ tịch"), "tham_dinh"),
    "extra spaces": ("  Lãnh   đạo\tUBND  ", "lanh_dao"),
    "NFD leader": (nfd("Lãnh đạo UBND"), "lanh_dao"),
    "the role's own name": ("Cán bộ tiếp nhận", "tiep_nhan"),
    "upper case role name": ("VĂN THƯ", "van_thu"),
    "a role code": ("tiep_nhan", "tiep_nhan"),
    "a role code in capitals": ("THAM_DINH", "tham_dinh"),
}


@pytest.mark.parametrize(("lane", "role"), list(VARIANTS.values()), ids=list(VARIANTS))
def test_lane_name_variants_map_to_the_same_role(lane, role):
    assert role_for_lane(lane) == role


def test_every_role_answers_to_its_code_its_name_and_its_lane_names():
    for role in ROLES.values():
        for name in (role.code, role.name, *role.lane_names):
            assert role_for_lane(name) == role.code, name
            assert role_for_lane(unicodedata.normalize("NFD", name)) == role.code, name
            assert role_for_lane(name.upper()) == role.code, name


@pytest.mark.parametrize(
    "lane",
    [
        None,
        "",
        "   ",
        "Phòng không tên",
        "Công chức tư pháp",  # a prefix of a lane name is not the lane name
        "Cong chuc tu phap - ho tich",  # letters without their marks name nothing: no guessing
        "tiep nhan",  # a code with its underscore gone
        "Công chức tư pháp – hộ tịch – cấp xã",
    ],
)
def test_unknown_lane_names_name_no_role(lane):
    assert role_for_lane(lane) is None


# The shipped birth diagram's lanes, renamed the way another modeler might have typed them.
RENAMED_LANES = {
    'name="Cán bộ tiếp nhận"': 'name="CÁN BỘ TIẾP NHẬN"',
    'name="Công chức tư pháp – hộ tịch"': f'name="{nfd("công chức tư pháp - hộ tịch")}"',
    'name="Lãnh đạo UBND"': 'name="  Lãnh đạo   ubnd "',
    'name="Văn thư"': 'name="van_thu"',
}


def test_a_diagram_whose_lanes_use_variants_compiles_with_the_right_roles(
    birth_sources, birth_process
):
    source = birth_sources.bpmn.decode("utf-8")
    for listed, renamed in RENAMED_LANES.items():
        assert source.count(listed) == 1, listed
        source = source.replace(listed, renamed)
    renamed = compile_process(source.encode("utf-8"), "khai_sinh", birth_sources.forms)
    roles = {name: step.role for name, step in renamed.steps.items()}
    assert roles == {name: step.role for name, step in birth_process.steps.items()}
    assert roles == {
        "tiep_nhan": "tiep_nhan",
        "nhan_bo_sung": "tiep_nhan",
        "tham_dinh": "tham_dinh",
        "phe_duyet": "lanh_dao",
        "ky_so": "lanh_dao",
        "tra_ket_qua": "van_thu",
    }


def test_a_lane_that_names_no_role_is_a_finding_not_a_guess(birth_sources):
    source = birth_sources.bpmn.decode("utf-8").replace(
        'name="Công chức tư pháp – hộ tịch"', 'name="Cong chuc tu phap - ho tich"'
    )
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(source.encode("utf-8"), "khai_sinh", birth_sources.forms)
    [finding] = [f for f in rejected.value.findings if f.is_error]  # (and the loop's warning)
    assert finding.element == "tham_dinh"
    assert "Cong chuc tu phap - ho tich" in str(finding)
