"""The browser tests' parts: Debian's headless Chromium through /usr/bin/chromedriver, a
dashboard served by uvicorn on 127.0.0.1 in a thread, screenshots, and following a link.

Skips when Chromium is absent, except under CI=true where it fails (.ci/run installs it)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from webhelpers import NOW

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


def need_browser() -> None:
    if CHROMIUM and CHROMEDRIVER:
        return
    reason = "没有 chromium / chromedriver（apt-get install chromium chromium-driver）"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def serve(d: Any) -> Iterator[tuple[str, Any]]:
    """``d`` (a webhelpers Dashboard) served by uvicorn on 127.0.0.1 in a thread. The socket is
    bound (port 0: the kernel picks) and listening before uvicorn starts, so the browser's first
    request waits in its backlog: nothing to poll for, no port to race for."""
    need_browser()
    import uvicorn

    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        d.app(NOW), host="127.0.0.1", port=port, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, args=([sock],), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", d
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        d.engine.dispose()


@contextmanager
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium at a desktop width, its profile in ``tmp_path``."""
    need_browser()
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
    try:
        yield driver
    finally:
        driver.quit()


def shots_folder(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SLAMON_WEB_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def follow(b, element) -> None:  # noqa: ANN001
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
