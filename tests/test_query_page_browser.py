"""The query page in a real headless browser: YASGUI from our own files runs a query."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import WebDriverWait

from ccn_graph import loading
from ccn_graph.settings import load_settings
from ccn_graph.store import RemoteStore
from server import create_app

from .browser import chromium
from .conftest import BASE, LiveApp


@pytest.fixture(scope="module")
def page_app(managed_server, tmp_path_factory):
    store = RemoteStore(managed_server.endpoints, timeout=10)
    store.clear()
    loading.load_reference_data(store, BASE)
    settings = load_settings(environ={}, overrides={"data_dir": str(tmp_path_factory.mktemp("d")), "base_iri": BASE})
    app = LiveApp(create_app(settings, store))
    yield app
    app.close()


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def test_yasgui_replaces_the_form_and_runs_a_query(page_app, browser, tmp_path):
    browser.get(f"{page_app.url}/sparql")
    wait = WebDriverWait(browser, 20)
    wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, "#yasgui .yasqe")))
    assert not browser.find_element(By.ID, "query-form").is_displayed()
    browser.execute_script(
        "window.ccnYasgui.getTab().setQuery(arguments[0]); window.ccnYasgui.getTab().query();",
        "SELECT ?ncc WHERE { ?ncc a <https://w3id.org/ccn-graph/ontology#NationalCoordinationCentre> }",
    )
    wait.until(lambda d: "27 results" in d.find_element(By.CSS_SELECTOR, "#yasgui").text
               or "27 Results" in d.find_element(By.CSS_SELECTOR, "#yasgui").text)
    browser.save_screenshot(str(tmp_path / "query-page.png"))
    assert (tmp_path / "query-page.png").stat().st_size > 10_000
    outside = [entry["message"] for entry in browser.get_log("browser")
               if entry["level"] == "SEVERE" and "127.0.0.1" not in entry["message"]]
    assert outside == [], outside


def test_the_page_works_without_javascript(page_app, tmp_path):
    from selenium import webdriver

    driver = chromium()
    try:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        driver.get(f"{page_app.url}/sparql")
        form = driver.find_element(By.ID, "query-form")
        assert form.is_displayed()
        driver.find_element(By.CSS_SELECTOR, "form#query-form button[type=submit]").click()
        WebDriverWait(driver, 20).until(conditions.presence_of_element_located((By.CSS_SELECTOR, "table caption")))
        assert "row" in driver.find_element(By.CSS_SELECTOR, "table caption").text
    finally:
        driver.quit()
