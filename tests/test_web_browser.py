"""A real browser: Debian's headless Chromium (driven through /usr/bin/chromedriver) logs in, opens
the overview, a late department, one of its applications, exempts it and reads the monthly
report, saving a screenshot at each step (into $SLAMON_WEB_SCREENSHOTS when set).

Skips when Chromium is absent, except under CI=true where it fails (.ci/run installs it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browserhelpers import chromium, follow, serve, shots_folder
from webhelpers import LATE_DEPT, PASSWORDS, make_dashboard


@pytest.fixture
def served(tmp_path: Path):  # noqa: ANN201
    with serve(make_dashboard(tmp_path)) as s:
        yield s


@pytest.fixture
def browser(tmp_path: Path):  # noqa: ANN201
    with chromium(tmp_path) as driver:
        yield driver


def test_login_overview_department_application_exempt_report(served, browser, tmp_path):
    from selenium.webdriver.common.by import By

    base, _d = served
    shots = shots_folder(tmp_path)
    b = browser

    b.get(base + "/")
    assert "/login" in b.current_url  # anonymous: the login page
    b.find_element(By.ID, "username").send_keys("operator")
    b.find_element(By.ID, "password").send_keys(PASSWORDS["operator"])
    b.save_screenshot(str(shots / "1-login.png"))
    follow(b, b.find_element(By.ID, "login"))

    table = b.find_element(By.ID, "overview")
    first_row = table.find_elements(By.CSS_SELECTOR, "tbody tr")[0]
    assert LATE_DEPT in first_row.text  # most severe first
    assert "<script>" in table.text  # the hostile name shows as text, nothing ran
    b.save_screenshot(str(shots / "2-overview.png"))

    follow(b, b.find_element(By.LINK_TEXT, LATE_DEPT))
    assert b.find_element(By.TAG_NAME, "h1").text == LATE_DEPT
    assert "GZ-LATE-1" in b.find_element(By.ID, "open").text
    b.save_screenshot(str(shots / "3-department.png"))

    follow(b, b.find_element(By.LINK_TEXT, "GZ-LATE-1"))
    verdict = b.find_element(By.ID, "verdict").text
    assert "已超期" in verdict and "2024年10月10日24时" in verdict
    days = b.find_element(By.ID, "days").text
    assert "调休上班" in days or "国庆节" in days  # the days skipped with their reasons
    b.save_screenshot(str(shots / "4-application.png"))

    b.find_element(By.ID, "reason").send_keys("经核实平台收到时间录入错误（测试）")
    follow(b, b.find_element(By.ID, "exempt"))
    assert "已核实排除" in b.find_element(By.ID, "message").text
    assert "已核实排除" in b.find_element(By.ID, "verdict").text
    b.save_screenshot(str(shots / "5-exempted.png"))

    follow(b, b.find_element(By.LINK_TEXT, "月报"))
    problems = b.find_element(By.ID, "problems").text
    assert "工程类-中标结果公告" in problems  # GZ-LATE-2 is still late
    assert "工程类_招标项目" not in problems  # GZ-LATE-1 was exempted
    assert "GZ-LATE-1" not in b.find_element(By.ID, "late").text
    b.save_screenshot(str(shots / "6-report.png"))

    follow(b, b.find_element(By.LINK_TEXT, "周报"))
    b.switch_to.frame(b.find_element(By.CSS_SELECTOR, "iframe.digest"))
    assert "周报" in b.find_element(By.TAG_NAME, "body").text  # the digest, not the login page
    assert "登录" not in b.find_element(By.TAG_NAME, "body").text
    b.switch_to.default_content()
    b.save_screenshot(str(shots / "7-digest.png"))

    follow(b, b.find_element(By.LINK_TEXT, "数据质量"))
    assert "正常" in b.find_element(By.ID, "source").text
    b.save_screenshot(str(shots / "8-quality.png"))

    b.set_window_size(390, 844)  # a phone
    b.get(base + "/")
    b.save_screenshot(str(shots / "9-overview-phone.png"))
    width = b.execute_script("return document.documentElement.scrollWidth")
    assert width <= 400, f"the page scrolls sideways on a phone ({width}px)"
