"""The browser modeler (GET /designer) in headless Chromium against the real app: a designer
signs in with a token, opens the birth procedure, sees the server's check on the diagram's
elements as she edits a step's budget, deploys, and the new version is in force; a leader's
deploy is refused with the 403 shown; the page loads nothing from anywhere but this server,
under a strict Content-Security-Policy; a task moved to another lane changes its role in the
saved file and every spiffworkflow property survives."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

from playwright.sync_api import expect

from api import create_app
from tests.browser.conftest import DESIGNER, ROOT, missing

BIRTH = "1.001193"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
APPRAISAL = '.djs-shape[data-element-id="tham_dinh"]'
APPRAISAL_ERROR_BADGE = '.djs-overlays[data-container-id="tham_dinh"] .finding-badge.error'


def sign_in_and_open(page, server, username: str, procedure: str = BIRTH) -> None:
    page.goto(f"{server.url}/designer?procedure={procedure}")
    page.get_by_label("Mã truy cập").fill(server.tokens[username])
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("body")).to_have_attribute("data-check", "done", timeout=60_000)


def properties(task: ET.Element) -> dict[str, str]:
    return {
        p.get("name"): p.get("value")
        for p in task.iterfind(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
        )
    }


def test_a_designer_changes_a_budget_sees_the_check_on_the_task_and_deploys(
    page, live_server, screenshots
):
    page.goto(f"{live_server.url}/designer?procedure={BIRTH}")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    screenshots(page, "sign-in")
    page.get_by_label("Mã truy cập").fill(live_server.tokens[DESIGNER])
    page.get_by_role("button", name="Đăng nhập").click()
    body = page.locator("body")
    expect(body).to_have_attribute("data-check", "done", timeout=60_000)
    expect(body).to_have_attribute("data-errors", "0")
    expect(page.locator("#version-info")).to_contain_text("Phiên bản 1")
    screenshots(page, "opened")

    page.locator(APPRAISAL).click()
    panel = page.locator("#properties")
    expect(panel.get_by_label("Tên")).to_have_value("Thẩm định hồ sơ")
    expect(panel.get_by_label("Vai trò")).to_have_value("Lane_tham_dinh")
    expect(panel.get_by_label("Biểu mẫu")).to_have_value("khai_sinh/tham_dinh")
    budget = panel.get_by_label("Thời hạn bước (ngày làm việc)")
    expect(budget).to_have_value("0.25")
    screenshots(page, "appraisal-selected")

    # A blank budget: the server's check reports it at the appraisal task.
    budget.fill("")
    budget.press("Enter")
    expect(page.locator(APPRAISAL_ERROR_BADGE)).to_be_visible(timeout=60_000)
    assert "motcua-error" in page.locator(APPRAISAL).get_attribute("class")
    listed = page.locator('#findings-list li.error[data-element="tham_dinh"]').filter(
        has_text="budget_days"
    )
    expect(listed).to_contain_text("budget_days")
    expect(listed).to_contain_text("Thẩm định hồ sơ (tham_dinh)")
    expect(page.locator("#finding-counts")).to_contain_text("1 lỗi")
    expect(panel).to_contain_text("budget_days")  # the panel lists the task's findings
    screenshots(page, "budget-refused")

    # Half a day, typed as officers write it: the finding clears.
    budget.fill("0,5")
    budget.press("Enter")
    expect(page.locator(APPRAISAL_ERROR_BADGE)).to_have_count(0, timeout=60_000)
    expect(body).to_have_attribute("data-check", "done", timeout=60_000)
    expect(body).to_have_attribute("data-errors", "0")
    assert "motcua-error" not in page.locator(APPRAISAL).get_attribute("class")
    expect(budget).to_have_value("0.5")
    screenshots(page, "budget-fixed")

    page.get_by_role("button", name="Triển khai").click()
    message = page.locator("#deploy-message")
    expect(message).to_contain_text("Đã triển khai phiên bản 2", timeout=60_000)
    expect(page.locator("#version-info")).to_contain_text("Phiên bản 2 · đang áp dụng")
    screenshots(page, "deployed")

    status, listing = live_server.api("GET", f"/api/procedures/{BIRTH}/versions")
    assert status == 200, listing
    newest = listing["items"][0]
    assert (newest["version"], newest["in_force"]) == (2, True)
    steps = {step["step"]: step for step in newest["steps"]}
    assert steps["tham_dinh"]["budget_days"] == "0.5"
    assert steps["tham_dinh"]["form_key"] == "khai_sinh/tham_dinh"
    assert steps["tham_dinh"]["role"] == "tham_dinh"

    # The saved diagram changed in that one value; every other property is as it was.
    _, before = live_server.api("GET", f"/api/procedures/{BIRTH}/versions/1/bpmn")
    _, after = live_server.api("GET", f"/api/procedures/{BIRTH}/versions/2/bpmn")
    old_tasks = {t.get("id"): properties(t) for t in ET.fromstring(before).iter(_tag("userTask"))}
    new_tasks = {t.get("id"): properties(t) for t in ET.fromstring(after).iter(_tag("userTask"))}
    assert new_tasks["tham_dinh"] == {**old_tasks["tham_dinh"], "budget_days": "0.5"}
    assert {k: v for k, v in new_tasks.items() if k != "tham_dinh"} == {
        k: v for k, v in old_tasks.items() if k != "tham_dinh"
    }


def _tag(name: str) -> str:
    return f"{{{NS['bpmn']}}}{name}"


def test_a_deploy_by_an_officer_who_is_not_a_designer_shows_the_refusal(
    page, live_server, screenshots
):
    sign_in_and_open(page, live_server, "h29.01.lanh_dao")
    page.locator(APPRAISAL).click()
    budget = page.locator("#properties").get_by_label("Thời hạn bước (ngày làm việc)")
    budget.fill("0.5")
    budget.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-check", "done", timeout=60_000)
    page.get_by_role("button", name="Triển khai").click()
    message = page.locator("#deploy-message")
    expect(message).to_contain_text("Bạn không có quyền triển khai", timeout=30_000)
    expect(message).to_contain_text("only process designers deploy procedure versions")
    expect(page.locator("body")).to_have_attribute("data-deploy", "error")
    screenshots(page, "refused")

    status, listing = live_server.api("GET", f"/api/procedures/{BIRTH}/versions")
    assert status == 200 and [v["version"] for v in listing["items"]] == [1]


def test_a_refused_deploy_shows_each_error_on_its_element_and_a_past_date_is_refused(
    page, live_server, screenshots
):
    sign_in_and_open(page, live_server, DESIGNER)
    page.locator(APPRAISAL).click()
    budget = page.locator("#properties").get_by_label("Thời hạn bước (ngày làm việc)")
    budget.fill("")
    budget.press("Enter")
    # Deployed at once, before the check has answered: the server's 422 is what shows.
    page.get_by_role("button", name="Triển khai").click()
    message = page.locator("#deploy-message")
    expect(message).to_contain_text("Máy chủ không nhận phiên bản này", timeout=60_000)
    expect(message).to_contain_text("1 lỗi")
    expect(page.locator(APPRAISAL_ERROR_BADGE)).to_be_visible(timeout=60_000)
    screenshots(page, "refused-with-findings")

    budget.fill("0.5")
    budget.press("Enter")
    expect(page.locator(APPRAISAL_ERROR_BADGE)).to_have_count(0, timeout=60_000)
    page.get_by_label("Hiệu lực từ").fill("2020-01-01T08:00")
    page.get_by_role("button", name="Triển khai").click()
    expect(message).to_contain_text("Thời điểm hiệu lực", timeout=60_000)
    screenshots(page, "refused-past-date")

    status, listing = live_server.api("GET", f"/api/procedures/{BIRTH}/versions")
    assert status == 200 and [v["version"] for v in listing["items"]] == [1]


def test_an_interlinked_group_opens_like_a_procedure_or_says_why_not(
    page, live_server, screenshots
):
    page.goto(f"{live_server.url}/designer?procedure=LT-KS")
    page.get_by_label("Mã truy cập").fill(live_server.tokens[DESIGNER])
    page.get_by_role("button", name="Đăng nhập").click()
    opened = page.locator("body[data-state=open][data-check=done]")
    refused = page.locator("#status.error")
    expect(opened.or_(refused)).to_be_visible(timeout=60_000)
    if refused.count():
        expect(refused).to_contain_text("Không mở được LT-KS")
    else:
        expect(page.locator("#version-info")).to_contain_text("Phiên bản")
        # the group's diagram: every member's pool
        expect(page.locator(".djs-shape[data-element-id^=participant_]")).to_have_count(3)
    screenshots(page, "group")


def test_the_form_preview_renders_the_task_schema(page, live_server, screenshots):
    sign_in_and_open(page, live_server, DESIGNER)
    page.locator(APPRAISAL).click()
    page.get_by_role("button", name="Xem trước biểu mẫu").click()
    dialog = page.locator("#preview-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Mã biểu mẫu: khai_sinh/tham_dinh")
    expect(dialog.get_by_role("heading", name="Thẩm định hồ sơ")).to_be_visible()
    # enum + x-enumNames as radio buttons; required marked; maxLength 4000 as a text area
    expect(dialog.get_by_label("Đủ điều kiện đăng ký khai sinh", exact=True)).to_be_visible()
    opinion = dialog.get_by_label("Ý kiến thẩm định")
    assert opinion.evaluate("e => e.tagName") == "TEXTAREA"
    assert opinion.evaluate("e => e.required") is True
    screenshots(page, "preview")

    dialog.get_by_label("Đủ điều kiện đăng ký khai sinh", exact=True).check()
    opinion.fill("Hồ sơ hợp lệ, đề nghị lãnh đạo ký.")
    dialog.get_by_role("button", name="Thử kiểm tra dữ liệu nhập").click()
    output = page.locator("#preview-output")
    expect(output).to_contain_text("Dữ liệu hợp lệ theo biểu mẫu")
    expect(output).to_contain_text('"assessment": "eligible"')
    screenshots(page, "preview-answered")
    dialog.get_by_role("button", name="Đóng").click()
    expect(dialog).to_be_hidden()


def test_a_task_moved_to_another_lane_takes_that_role_in_the_saved_file(
    page, live_server, screenshots, tmp_path
):
    sign_in_and_open(page, live_server, DESIGNER)
    page.locator(APPRAISAL).click()
    role = page.locator("#properties").get_by_label("Vai trò")
    role.select_option(label="Lãnh đạo UBND")
    expect(role).to_have_value("Lane_lanh_dao")
    expect(page.locator("body")).to_have_attribute("data-check", "done", timeout=60_000)
    screenshots(page, "moved-to-leader-lane")

    with page.expect_download() as download:
        page.get_by_role("button", name="Tải tệp BPMN").click()
    saved = tmp_path / "saved.bpmn"
    download.value.save_as(saved)
    tree = ET.parse(saved).getroot()
    refs = {
        lane.get("id"): [ref.text for ref in lane.iterfind("bpmn:flowNodeRef", NS)]
        for lane in tree.iter(_tag("lane"))
    }
    assert "tham_dinh" in refs["Lane_lanh_dao"]
    assert "tham_dinh" not in refs["Lane_tham_dinh"]
    _, original = live_server.api("GET", f"/api/procedures/{BIRTH}/versions/1/bpmn")
    before = {t.get("id"): properties(t) for t in ET.fromstring(original).iter(_tag("userTask"))}
    after = {t.get("id"): properties(t) for t in tree.iter(_tag("userTask"))}
    assert after == before


def test_the_page_and_its_assets_carry_a_strict_policy_and_load_nothing_from_elsewhere(
    page, live_server, watch
):
    answers = []
    page.on("response", lambda answer: answers.append(answer))
    sign_in_and_open(page, live_server, DESIGNER)
    pages = [a for a in answers if a.url.split("?")[0].endswith("/designer")]
    assets = [a for a in answers if "/web/" in a.url]
    assert pages and {a.status for a in pages} == {200}
    kinds = {a.url.rsplit(".", 1)[-1] for a in assets}
    assert {"js", "css"} <= kinds, kinds
    for answer in pages + assets:
        headers = answer.all_headers()
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy, answer.url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert headers["x-content-type-options"] == "nosniff", answer.url
    # The modeler's own menus draw icons too: none may need an inline style the policy
    # refuses (the page fixture fails the test on any violation).
    page.locator(APPRAISAL).click()
    page.locator('.djs-context-pad .entry[data-action="replace"]').click()
    expect(page.locator(".djs-popup")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator('.djs-shape[data-element-id="phe_duyet"]').click(modifiers=["Shift"])
    page.locator('.djs-context-pad .entry[data-action="align-elements"]').click()
    expect(page.locator(".djs-popup .entry")).to_have_count(6)
    page.keyboard.press("Escape")
    # No inline script: every script element names a file of ours.
    scripts = page.locator("script").evaluate_all("els => els.map(e => e.src || e.textContent)")
    assert scripts and all(s.startswith(f"{live_server.url}/web/") for s in scripts), scripts
    # Every request the page made went to the test server (the fixture also aborts others).
    assert watch.requests
    outside = [u for u in watch.requests if not u.startswith((live_server.url, "data:", "blob:"))]
    assert outside == []


def test_assets_are_served_safely_and_a_missing_build_says_how_to_build_it(tmp_path):
    def get(client, path, **kwargs):
        answer = client.get(path, **kwargs)
        answer.close()  # a file's answer holds the file open until closed
        return answer

    built = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.sqlite3'}",
            "MOTCUA_INSTANCE_DIR": str(tmp_path),
        }
    ).test_client()
    page = built.get("/designer", buffered=True)
    page.close()
    if page.status_code == 503:
        missing("web/dist is not built: run `make web`")
    script = re.search(r'<script type="module" src="([^"]+)"', page.text).group(1)
    asset = get(built, script)
    assert asset.status_code == 200 and asset.mimetype == "text/javascript"
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert page.headers["Cache-Control"] == "no-cache"
    for absent in ("/web/nothing-here.js", "/web/../pyproject.toml", "/web/%2e%2e/Makefile"):
        answer = get(built, absent)
        assert answer.status_code == 404, absent
        assert answer.headers["X-Content-Type-Options"] == "nosniff"

    unbuilt = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'b.sqlite3'}",
            "MOTCUA_INSTANCE_DIR": str(tmp_path),
            "MOTCUA_WEB_DIST": str(tmp_path / "not-built"),
        }
    ).test_client()
    answer = get(unbuilt, "/designer")
    assert answer.status_code == 503 and answer.mimetype == "text/html"
    assert "make web" in answer.text and "chưa được đóng gói" in answer.text
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    answer = get(unbuilt, "/web/designer.js", headers={"Accept": "application/json"})
    assert answer.status_code == 503 and answer.json["code"] == 503
    assert "make web" in answer.json["message"]


def test_every_diagram_survives_the_modelers_round_trip():
    """bpmn-js reads and writes diagrams through bpmn-moddle with our spiffworkflow
    descriptor: every shipped and test diagram imports without a warning about it and keeps
    every spiffworkflow element, attribute and text (web/check-moddle.mjs)."""
    node = shutil.which("node")
    if node is None or not (ROOT / "web" / "node_modules" / "bpmn-moddle").is_dir():
        missing("node or web/node_modules is missing: run `make web`")
    done = subprocess.run(
        [node, "check-moddle.mjs"],
        cwd=ROOT / "web",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every file survives a round trip" in done.stdout
