"""The birth-registration scenario every benchmark drives: a declaration and the five steps."""

DECLARATION = {
    "child": {
        "full_name": "Nguyễn Minh An",
        "sex": "male",
        "date_of_birth": "2026-02-20",
        "place_of_birth": "Trạm y tế xã Tân An",
    },
    "mother": {"full_name": "Trần Thị Bình", "id_number": "001190012345"},
    "declarant": {"full_name": "Trần Thị Bình", "relationship": "mother"},
    "documents": [{"name": "Giấy chứng sinh", "kind": "original", "count": 1}],
}

SUBMISSION = {
    "procedure": "1.001193",
    "applicant": {"full_name": "Trần Thị Bình", "phone": "0912345678"},
    "channel": 1,
    "data": DECLARATION,
}

# (role that works the step, form answers), in the order the diagram opens them.
STEP_ANSWERS = [
    ("tiep_nhan", {"decision": "accept"}),
    ("tham_dinh", {"assessment": "eligible", "opinion": "Hồ sơ hợp lệ"}),
    ("lanh_dao", {"approved": True}),
    (
        "lanh_dao",
        {
            "signed": True,
            "certificate_serial": "5401A2B3C4",
            "registration_number": "12/2026",
            "personal_id": "001226012345",
        },
    ),
    ("van_thu", {"delivery": "counter", "receiver_name": "Trần Thị Bình"}),
]
