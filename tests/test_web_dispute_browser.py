"""A real browser (headless Chromium) on the department's side and the operator's: a department
user sees its overview and application, submits a 情况说明 with a file through the form; an
operator decides it in the queue; the department reads the outcome — at a desktop width and a
phone's, with a screenshot at each step (into $SLAMON_WEB_SCREENSHOTS when set). Skips without
Chromium, as tests/test_web_browser.py does."""

from __future__ import annotations

from pathlib import Path

import pytest
from browserhelpers import chromium, follow, serve, shots_folder
from disputehelpers import DEPT_PASSWORD, DEPT_USER, OTHER_DEPT, PDF, make_department_dashboard
from webhelpers import LATE_DEPT, PASSWORDS

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def served(tmp_path: Path):  # noqa: ANN201
    """As tests/test_web_browser.py serves it, with a department account."""
    with serve(make_department_dashboard(tmp_path)) as s:
        yield s


@pytest.fixture
def browser(tmp_path: Path):  # noqa: ANN201
    with chromium(tmp_path) as driver:
        yield driver


def _login(b, base: str, name: str, password: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    b.delete_all_cookies()
    b.get(base + "/login")
    b.find_element(By.ID, "username").send_keys(name)
    b.find_element(By.ID, "password").send_keys(password)
    follow(b, b.find_element(By.ID, "login"))


def _shoot(b, folder: Path, name: str, width: str, focus: str | None = None) -> None:  # noqa: ANN001
    """The whole page at ``width`` (the window made as tall as the page), or the window's view
    of the element ``focus``; and no sideways scrolling on a phone."""
    from selenium.webdriver.common.by import By

    w, h = WIDTHS[width]
    b.set_window_size(w, h)
    if focus is None:
        height = b.execute_script("return document.documentElement.scrollHeight")
        b.set_window_size(w, max(h, min(height + 140, 4000)))
    else:
        b.execute_script("arguments[0].scrollIntoView()", b.find_element(By.ID, focus))
    b.save_screenshot(str(folder / f"{name}-{width}.png"))
    scroll = b.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= w + 10, f"{name} scrolls sideways at {w}px ({scroll}px)"


def test_department_view_dispute_form_and_operator_queue(served, browser, tmp_path):  # noqa: ANN001, F811
    from selenium.webdriver.common.by import By

    base, _d = served
    shots = shots_folder(tmp_path)
    b = browser
    _login(b, base, DEPT_USER, DEPT_PASSWORD)
    rows = b.find_element(By.ID, "overview").find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == 1 and LATE_DEPT in rows[0].text
    assert OTHER_DEPT not in b.find_element(By.TAG_NAME, "body").text
    for width in WIDTHS:
        _shoot(b, shots, "d1-overview", width)

    b.get(base + "/application?id=GZ-LATE-1")
    assert b.find_element(By.ID, "dispute-form").is_displayed()
    for width in WIDTHS:
        _shoot(b, shots, "d2-dispute-form", width, focus="disputes")
    b.set_window_size(*WIDTHS["desktop"])
    evidence = tmp_path / "盖章复函.pdf"
    evidence.write_bytes(PDF)
    b.find_element(By.ID, "dispute-text").send_keys(
        "该申请已于2024年10月9日通过线下公函答复申请方（见附件复函），因平台账号过期未能及时登记。"
    )
    b.find_element(By.ID, "dispute-file").send_keys(str(evidence))
    follow(b, b.find_element(By.ID, "dispute-submit"))
    assert "已提交情况说明 #1，待核实" in b.find_element(By.ID, "message").text
    assert "盖章复函.pdf" in b.find_element(By.ID, "dispute-1").text
    for width in WIDTHS:
        _shoot(b, shots, "d3-submitted", width, focus="disputes")

    b.get(base + "/application?id=GZ-SOON-1")  # another department's: the plain 404 page
    assert "没有这个页面" in b.find_element(By.TAG_NAME, "main").text

    _login(b, base, "operator", PASSWORDS["operator"])
    follow(b, b.find_element(By.LINK_TEXT, "情况说明"))
    assert "待核实（1）" in b.find_element(By.CSS_SELECTOR, "nav.tabs").text
    for width in WIDTHS:
        _shoot(b, shots, "o1-queue", width)
    b.set_window_size(*WIDTHS["desktop"])
    b.find_element(By.ID, "decide-reason-1").send_keys("经核实复函属实，答复在期限内。")
    follow(b, b.find_element(By.ID, "accept-1"))
    assert "已采纳情况说明 #1" in b.find_element(By.ID, "message").text
    _shoot(b, shots, "o2-decided", "desktop")

    _login(b, base, DEPT_USER, DEPT_PASSWORD)
    b.get(base + "/application?id=GZ-LATE-1")
    outcome = b.find_element(By.ID, "dispute-1").text
    assert "核实结果：已采纳" in outcome and "经核实复函属实" in outcome
    for width in WIDTHS:
        _shoot(b, shots, "d4-outcome", width, focus="disputes")
