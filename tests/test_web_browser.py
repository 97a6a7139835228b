"""A real browser: Debian's headless Chromium (driven through /usr/bin/chromedriver) logs in, opens
the overview, a late department, one of its applications, exempts it and reads the monthly
report, saving a screenshot at each step (into $SLAMON_WEB_SCREENSHOTS when set).

Skips when Chromium is absent, except under CI=true where it fails (.ci/run installs it)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from webhelpers import LATE_DEPT, NOW, PASSWORDS, make_dashboard

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def _need_browser() -> None:
    if CHROMIUM and CHROMEDRIVER:
        return
    reason = "没有 chromium / chromedriver（apt-get install chromium chromium-driver）"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def served(tmp_path: Path):  # noqa: ANN201
    """The dashboard over a real store, served by uvicorn on 127.0.0.1 in a thread. The socket is
    bound (port 0: the kernel picks) and listening before uvicorn starts, so the browser's first
    request waits in its backlog: nothing to poll for, no port to race for."""
    _need_browser()
    import uvicorn

    d = make_dashboard(tmp_path)
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        d.app(NOW), host="127.0.0.1", port=port, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, args=([sock],), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", d
    server.should_exit = True
    thread.join(10)
    sock.close()
    d.engine.dispose()


@pytest.fixture
def browser(tmp_path: Path):  # noqa: ANN201
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    opts.add_argument("--window-size=1280,900")
    opts.add_argument("--lang=zh-CN")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SLAMON_WEB_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _follow(b, element) -> None:  # noqa: ANN001
    """Click a link or a submit button and wait until the next page has replaced this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = b.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_driver) -> bool:  # noqa: ANN001
        try:
            old.is_enabled()
        except WebDriverException:  # stale, or "node does not belong to the document"
            return True
        return False

    WebDriverWait(b, 15).until(replaced)
    b.find_element(By.TAG_NAME, "main")  # the new page has its content (implicit wait)


def test_login_overview_department_application_exempt_report(served, browser, tmp_path):
    from selenium.webdriver.common.by import By

    base, _d = served
    shots = _shots(tmp_path)
    b = browser

    b.get(base + "/")
    assert "/login" in b.current_url  # anonymous: the login page
    b.find_element(By.ID, "username").send_keys("operator")
    b.find_element(By.ID, "password").send_keys(PASSWORDS["operator"])
    b.save_screenshot(str(shots / "1-login.png"))
    _follow(b, b.find_element(By.ID, "login"))

    table = b.find_element(By.ID, "overview")
    first_row = table.find_elements(By.CSS_SELECTOR, "tbody tr")[0]
    assert LATE_DEPT in first_row.text  # most severe first
    assert "<script>" in table.text  # the hostile name shows as text, nothing ran
    b.save_screenshot(str(shots / "2-overview.png"))

    _follow(b, b.find_element(By.LINK_TEXT, LATE_DEPT))
    assert b.find_element(By.TAG_NAME, "h1").text == LATE_DEPT
    assert "GZ-LATE-1" in b.find_element(By.ID, "open").text
    b.save_screenshot(str(shots / "3-department.png"))

    _follow(b, b.find_element(By.LINK_TEXT, "GZ-LATE-1"))
    verdict = b.find_element(By.ID, "verdict").text
    assert "已超期" in verdict and "2024年10月10日24时" in verdict
    days = b.find_element(By.ID, "days").text
    assert "调休上班" in days or "国庆节" in days  # the days skipped with their reasons
    b.save_screenshot(str(shots / "4-application.png"))

    b.find_element(By.ID, "reason").send_keys("经核实平台收到时间录入错误（测试）")
    _follow(b, b.find_element(By.ID, "exempt"))
    assert "已核实排除" in b.find_element(By.ID, "message").text
    assert "已核实排除" in b.find_element(By.ID, "verdict").text
    b.save_screenshot(str(shots / "5-exempted.png"))

    _follow(b, b.find_element(By.LINK_TEXT, "月报"))
    problems = b.find_element(By.ID, "problems").text
    assert "工程类-中标结果公告" in problems  # GZ-LATE-2 is still late
    assert "工程类_招标项目" not in problems  # GZ-LATE-1 was exempted
    assert "GZ-LATE-1" not in b.find_element(By.ID, "late").text
    b.save_screenshot(str(shots / "6-report.png"))

    _follow(b, b.find_element(By.LINK_TEXT, "周报"))
    b.switch_to.frame(b.find_element(By.CSS_SELECTOR, "iframe.digest"))
    assert "周报" in b.find_element(By.TAG_NAME, "body").text  # the digest, not the login page
    assert "登录" not in b.find_element(By.TAG_NAME, "body").text
    b.switch_to.default_content()
    b.save_screenshot(str(shots / "7-digest.png"))

    _follow(b, b.find_element(By.LINK_TEXT, "数据质量"))
    assert "正常" in b.find_element(By.ID, "source").text
    b.save_screenshot(str(shots / "8-quality.png"))

    b.set_window_size(390, 844)  # a phone
    b.get(base + "/")
    b.save_screenshot(str(shots / "9-overview-phone.png"))
    width = b.execute_script("return document.documentElement.scrollWidth")
    assert width <= 400, f"the page scrolls sideways on a phone ({width}px)"
