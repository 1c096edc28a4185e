"""GET /api/officers: a leader sees the agency's active officers (by role) to give a task to;
never another agency's; other roles may not list them."""

from __future__ import annotations


def usernames(answer) -> list[str]:
    return [item["username"] for item in answer.json["items"]]


def test_a_leader_lists_the_agencys_active_officers_by_role(as_officer, app):
    leader = as_officer("h29.01.lanh_dao")
    everyone = leader.get("/api/officers")
    assert everyone.status_code == 200, everyone.json
    assert all(name.startswith("h29.01.") for name in usernames(everyone))
    assert usernames(leader.get("/api/officers", query_string={"role": "tham_dinh"})) == [
        "h29.01.tham_dinh",
        "h29.01.tham_dinh2",
    ]
    [item] = [i for i in everyone.json["items"] if i["username"] == "h29.01.van_thu"]
    assert item["roles"] == ["van_thu"]
    runner = app.test_cli_runner()
    assert runner.invoke(args=["officers", "deactivate", "h29.01.tham_dinh2"]).exit_code == 0
    assert usernames(leader.get("/api/officers", query_string={"role": "tham_dinh"})) == [
        "h29.01.tham_dinh"
    ]


def test_other_roles_may_not_list_and_a_bad_role_is_named(as_officer):
    assert as_officer("h29.01.tham_dinh").get("/api/officers").status_code == 403
    bad = as_officer("h29.01.lanh_dao").get("/api/officers", query_string={"role": "khong_co"})
    assert bad.status_code == 422 and "role" in bad.json["errors"]
    assert as_officer(None).get("/api/officers").status_code == 401
