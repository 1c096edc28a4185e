"""Interlinked groups for tests and benchmarks: the agencies of a province's groups, the
declarations, and every step's answers, so a test walks a group dossier through the API."""

from __future__ import annotations

import copy

# (code, name, kind, area): a commune's own police; the province's social insurance and
# social protection serve every commune of H29 (the nearest enclosing area wins).
GROUP_AGENCIES = (
    ("CA29.01", "Công an xã Tân An", "cong_an", "H29.01"),
    ("CA29.02", "Công an xã Bình Minh", "cong_an", "H29.02"),
    ("BH29", "Bảo hiểm xã hội tỉnh", "bhxh", "H29"),
    ("XH29", "Phòng Văn hóa – Xã hội", "bao_tro_xa_hoi", "H29"),
)
GROUP_ROLES = ("tiep_nhan", "tham_dinh", "lanh_dao", "van_thu", "quan_tri")

THUONG_TRU = {
    "dia_chi_thuong_tru": "Số 12, thôn Đông, xã Tân An",
    "chu_ho": {"ho_ten": "Nguyễn Văn Cường", "so_dinh_danh": "001085012345"},
    "quan_he_voi_chu_ho": "con",
}
BHYT = {"noi_dang_ky_kcb_ban_dau": "Trạm Y tế xã Tân An", "hinh_thuc_nhan_the": "dien_tu"}
DEATH = {
    "deceased": {"full_name": "Lê Văn Tư", "sex": "male", "id_number": "001045067890"},
    "death": {"date": "2026-02-27", "place": "Tại nhà", "cause": "Tuổi già"},
    "declarant": {"full_name": "Lê Thị Năm", "relationship": "child"},
    "documents": [{"name": "Giấy báo tử", "kind": "original", "count": 1}],
}
FOLLOW_ON_DEATH = {
    "xoa_thuong_tru": {"dia_chi_thuong_tru": "Số 3, thôn Tây, xã Tân An", "la_chu_ho": False},
    "tro_cap_mai_tang": {
        "che_do": ["mai_tang"],
        "nguoi_nhan": {
            "ho_ten": "Lê Thị Năm",
            "so_dinh_danh": "001075011111",
            "quan_he_voi_nguoi_chet": "con",
        },
        "hinh_thuc_nhan_tien": "tien_mat",
    },
    "ho_tro_mai_tang": {
        "doi_tuong": "nguoi_cao_tuoi_ho_ngheo",
        "nguoi_nhan": {
            "ho_ten": "Lê Thị Năm",
            "so_dinh_danh": "001075011111",
            "quan_he_voi_nguoi_chet": "con",
        },
        "hinh_thuc_nhan_tien": "tien_mat",
    },
}
DEATH_CODES = {
    "xoa_thuong_tru": "1.004227",
    "tro_cap_mai_tang": "1.011606",
    "ho_tro_mai_tang": "1.011607",
}

_APPRAISED = {"ket_qua_tham_dinh": "du_dieu_kien", "y_kien": "Đủ điều kiện"}
# step id → (role, answers): every step of every procedure of both groups, the happy path.
ANSWERS: dict[str, tuple[str, dict]] = {
    "tiep_nhan": ("tiep_nhan", {"decision": "accept"}),
    "tham_dinh": ("tham_dinh", {"assessment": "eligible", "opinion": "Hồ sơ hợp lệ"}),
    "phe_duyet": ("lanh_dao", {"approved": True}),
    "ky_so": (
        "lanh_dao",
        {
            "signed": True,
            "certificate_serial": "5401A2B3C4",
            "registration_number": "12/2026",
            "personal_id": "001226012345",
        },
    ),
    "tra_ket_qua": ("van_thu", {"delivery": "counter", "receiver_name": "Trần Thị Bình"}),
    "thuong_tru_tham_dinh": ("tham_dinh", _APPRAISED),
    "thuong_tru_phe_duyet": ("lanh_dao", {"dong_y": True, "da_cap_nhat_csdl": True}),
    "thuong_tru_tra_ket_qua": (
        "tham_dinh",
        {"ket_qua": "da_dang_ky", "ngay_dang_ky": "2026-03-03", "hinh_thuc_tra": "dien_tu"},
    ),
    "bhyt_tre_em_tham_dinh": ("tham_dinh", _APPRAISED),
    "bhyt_tre_em_phe_duyet": ("lanh_dao", {"dong_y": True}),
    "bhyt_tre_em_tra_ket_qua": (
        "tham_dinh",
        {
            "ket_qua": "da_cap_the",
            "so_the_bhyt": "TE1292600000001",
            "gia_tri_tu": "2026-02-20",
            "gia_tri_den": "2032-02-19",
            "hinh_thuc_tra": "dien_tu",
        },
    ),
    "xoa_thuong_tru_tham_dinh": ("tham_dinh", _APPRAISED),
    "xoa_thuong_tru_phe_duyet": ("lanh_dao", {"dong_y": True, "da_cap_nhat_csdl": True}),
    "xoa_thuong_tru_tra_ket_qua": (
        "tham_dinh",
        {"ket_qua": "da_xoa", "ngay_xoa": "2026-03-03", "hinh_thuc_tra": "dien_tu"},
    ),
    "tro_cap_mai_tang_tham_dinh": ("tham_dinh", _APPRAISED),
    "tro_cap_mai_tang_phe_duyet": ("lanh_dao", {"dong_y": True}),
    "tro_cap_mai_tang_tra_ket_qua": (
        "tham_dinh",
        {
            "ket_qua": "duoc_huong",
            "so_quyet_dinh": "112/QĐ-BHXH",
            "tro_cap_mai_tang_dong": 23_400_000,
            "hinh_thuc_tra": "dien_tu",
        },
    ),
    "ho_tro_mai_tang_tham_dinh": ("tham_dinh", _APPRAISED),
    "ho_tro_mai_tang_phe_duyet": ("lanh_dao", {"dong_y": True}),
    "ho_tro_mai_tang_tra_ket_qua": (
        "tham_dinh",
        {
            "ket_qua": "duoc_ho_tro",
            "so_quyet_dinh": "45/QĐ-UBND",
            "so_tien_dong": 9_000_000,
            "hinh_thuc_tra": "dien_tu",
        },
    ),
}


# Steps of the death registration that answer differently from the birth registration's.
DEATH_ANSWERS = {
    "ky_so": (
        "lanh_dao",
        {
            "signed": True,
            "certificate_serial": "5401A2B3C4",
            "registration_number": "07/2026",
            "extract_number": "TLKT-07/2026",
        },
    ),
}


def answers_for(procedure_code: str, step: str) -> tuple[str, dict]:
    """Returns the role that works a step and the happy path's answers."""
    if procedure_code == "1.000656" and step in DEATH_ANSWERS:
        return DEATH_ANSWERS[step]
    return ANSWERS[step]


def birth_group_submission(declaration: dict, **overrides) -> dict:
    body = {
        "procedure": "LT-KS",
        "applicant": {"full_name": "Trần Thị Bình", "phone": "0912345678"},
        "channel": 1,
        "data": {
            "khai_sinh": copy.deepcopy(declaration),
            "thuong_tru": copy.deepcopy(THUONG_TRU),
            "bhyt_tre_em": copy.deepcopy(BHYT),
        },
    }
    body.update(overrides)
    return body


def death_group_submission(*follow_ons: str, **overrides) -> dict:
    body = {
        "procedure": "LT-KT",
        "applicant": {"full_name": "Lê Thị Năm", "phone": "0987654321"},
        "channel": 1,
        "procedures": ["1.000656", *(DEATH_CODES[p] for p in follow_ons)],
        "data": {"khai_tu": copy.deepcopy(DEATH)}
        | {p: copy.deepcopy(FOLLOW_ON_DEATH[p]) for p in follow_ons},
    }
    body.update(overrides)
    return body


def open_tasks(client, dossier_code: str) -> list[dict]:
    """Returns a dossier's open tasks, as its own agency sees them."""
    response = client.get(f"/api/dossiers/{dossier_code}")
    assert response.status_code == 200, response.json
    return [t for t in response.json["tasks"] if t["state"] in ("open", "claimed")]


def work_dossier(as_officer, agency: str, dossier_code: str) -> list[str]:
    """Works every step of a dossier at its agency to the end, with the happy path's answers;
    returns the steps done in order."""
    done = []
    reader = as_officer(f"{agency.lower()}.van_thu")
    while tasks := open_tasks(reader, dossier_code):
        task = tasks[0]
        role, answers = answers_for(task["procedure_code"], task["step"])
        officer = as_officer(f"{agency.lower()}.{role}")
        claimed = officer.post(f"/api/tasks/{task['id']}/claim")
        assert claimed.status_code == 200, claimed.json
        completed = officer.post(f"/api/tasks/{task['id']}/complete", json={"data": answers})
        assert completed.status_code == 200, (task["step"], completed.json)
        done.append(task["step"])
    return done
