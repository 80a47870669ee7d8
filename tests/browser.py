"""Debian's headless Chromium, driven with Selenium through Debian's chromedriver.

No browser or driver is ever downloaded: both come from the system packages (`.ci/run` installs
them). Chromium runs with the flags a closed network needs.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest


def chromium():
    """A headless Chromium WebDriver; skips (fails under CI) when Chromium is not installed."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not binary or not driver:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium and chromium-driver are missing: .ci/run installs them")
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed "
            "(apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={tempfile.mkdtemp(prefix='ccn-chromium-')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)
