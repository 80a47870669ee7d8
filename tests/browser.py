"""Debian's headless Chromium, driven with Selenium through Debian's chromedriver.

No browser or driver is ever downloaded: both come from the system packages (`.ci/run` installs
them). Chromium runs with the flags a closed network needs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PROFILE_PREFIX = "ccn-chromium-"


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Chromium WebDriver, with a profile folder of its own that is removed when the
    browser stops (its path is the driver's `ccn_profile`); skips (fails under CI) when Chromium
    is not installed."""
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

    profile = Path(tempfile.mkdtemp(prefix=PROFILE_PREFIX))
    try:
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
            f"--user-data-dir={profile}",
        ):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        browser = webdriver.Chrome(service=Service(driver), options=options)
        browser.ccn_profile = profile
        try:
            yield browser
        finally:
            browser.quit()
    finally:
        remove_profile(profile)


def remove_profile(profile: Path, patience: float = 5.0) -> None:
    """Remove a browser's profile folder. Chromium's helper processes can still write to it for a
    moment after the driver has quit, so a removal that a late write undoes is tried again."""
    deadline = time.monotonic() + patience
    while True:
        shutil.rmtree(profile, ignore_errors=True)
        if not profile.exists() or time.monotonic() > deadline:
            return
        time.sleep(0.1)
