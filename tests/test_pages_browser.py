"""The pages people use, in Debian's headless Chromium: no console errors, no violation of the
Content-Security-Policy, key elements present.

Screenshots are kept in ``artifacts/screenshots/`` (ignored by git) for a person to look at.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import WebDriverWait

from server import context

from .browser import chromium
from .conftest import ROOT, loaded_site

SHOTS = ROOT / "artifacts" / "screenshots"
# Installed in every page before its own script runs: what the page's policy refused.
LISTEN = """
window.ccnViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.ccnViolations.push(event.violatedDirective + " " + event.blockedURI
    + " at " + event.sourceFile + ":" + event.lineNumber + ":" + event.columnNumber);
});
"""


@pytest.fixture(scope="module")
def site(managed_server, tmp_path_factory):
    app, store, data_dir = loaded_site(managed_server, tmp_path_factory, members=60, projects=0)
    yield app
    app.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": LISTEN})
        yield driver
    # Each browser's profile folder went with it: runs used to leave one in /tmp every time.
    assert not driver.ccn_profile.exists(), driver.ccn_profile


def violations(browser) -> list[str]:
    """What the page's Content-Security-Policy refused since it loaded, as the page heard it,
    and what the console logged of it since the log was last read."""
    heard = browser.execute_script("return window.ccnViolations || null")
    assert heard is not None, "the listener is not in the page"
    return heard + [
        e["message"]
        for e in browser.get_log("browser")
        if "Content Security Policy" in e["message"]
    ]


def visit(browser, url: str, name: str, wait_for: str):
    browser.get(url)
    WebDriverWait(browser, 20).until(
        conditions.presence_of_element_located((By.CSS_SELECTOR, wait_for))
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"{name}.png"))
    heard = browser.execute_script("return window.ccnViolations || null")
    assert heard == [], heard
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def test_home(site, browser):
    visit(browser, f"{site.url}/", "home", "svg.network-map")
    tiles = browser.find_elements(By.CSS_SELECTOR, "svg.network-map a")
    assert len(tiles) == 27
    assert browser.find_element(By.CSS_SELECTOR, "h1").text.startswith("The EU cybersecurity")
    tiles[0].click()
    WebDriverWait(browser, 10).until(conditions.url_contains("/doc/ncc/"))


def test_ncc_page(site, browser):
    visit(browser, f"{site.url}/doc/ncc/ro", "ncc-ro", "article h1")
    assert (
        browser.find_element(By.CSS_SELECTOR, "h1").text
        == "National Coordination Centre of Romania"
    )
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "article h2, article h3")]
    assert any(h.startswith("Community members (") for h in headings) or "Linked from" in headings
    assert browser.find_element(By.CSS_SELECTOR, 'script[type="application/ld+json"]')


def test_taxonomy_tree(site, browser):
    visit(browser, f"{site.url}/doc/scheme/jrc-taxonomy", "taxonomy", ".tree ul")
    top = browser.find_elements(By.CSS_SELECTOR, ".tree > ul > li")
    assert len(top) == 15 + 15 + 23
    nested = browser.find_elements(By.CSS_SELECTOR, ".tree > ul > li > ul > li")
    assert len(nested) == 150


def test_search(site, browser):
    visit(browser, f"{site.url}/", "home-before-search", "form[role=search]")
    field = browser.find_element(By.CSS_SELECTOR, "form[role=search] input[name=q]")
    field.send_keys("intrusion")
    field.submit()
    WebDriverWait(browser, 10).until(
        conditions.presence_of_element_located((By.CSS_SELECTOR, "ol.hits li a"))
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "search.png"))
    assert "Intrusion detection" in browser.find_element(By.CSS_SELECTOR, "ol.hits").text


def test_query_page_runs_an_example(site, browser):
    visit(browser, f"{site.url}/sparql", "query-page", "#yasgui .yasqe")
    assert not browser.find_element(By.ID, "query-form").is_displayed()
    browser.execute_script("window.ccnYasgui.getTab().query();")
    WebDriverWait(browser, 20).until(
        lambda d: "result" in d.find_element(By.CSS_SELECTOR, "#yasgui .yasr").text.lower()
    )
    browser.save_screenshot(str(SHOTS / "query-page-result.png"))
    assert (
        "European Cybersecurity Industrial"
        in browser.find_element(By.CSS_SELECTOR, "#yasgui .yasr").text
    )
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


@pytest.mark.parametrize(
    "path, wait_for",
    [
        ("/", "svg.network-map a"),
        ("/sparql", "#yasgui .yasqe"),
        ("/doc/ncc/ro", "article h1"),
        ("/validate", "main form"),
        ("/submit", "#submit-form"),
    ],
)
def test_pages_keep_to_their_content_security_policy(site, browser, path, wait_for):
    visit(browser, f"{site.url}{path}", "policy" + path.replace("/", "-").rstrip("-"), wait_for)
    assert violations(browser) == []
    # The policy is in force: script written into the page is refused, and the refusal is heard.
    ran = browser.execute_script("""
        window.ccnRan = false;
        var script = document.createElement("script");
        script.textContent = "window.ccnRan = true;";
        document.body.appendChild(script);
        return window.ccnRan;
    """)
    assert ran is False
    WebDriverWait(browser, 5).until(lambda b: violations(b))
    assert browser.execute_script("return window.ccnViolations")[0].startswith(
        "script-src-elem inline"
    )


def test_query_page_keeps_to_its_content_security_policy(site, browser):
    """YASGUI's result table (with its column resizer), a resized column and the editor's
    syntax-error tooltip: what writes styles inline, each allowed by its hash."""
    visit(browser, f"{site.url}/sparql", "query-page-policy", "#yasgui .yasqe")
    tab = "window.ccnYasgui.getTab()"
    browser.execute_script(f"{tab}.query();")
    WebDriverWait(browser, 20).until(
        lambda d: (
            "European Cybersecurity Industrial"
            in d.find_element(By.CSS_SELECTOR, "#yasgui .yasr").text
        )
    )
    headings = (
        "return Array.from(document.querySelectorAll('#yasgui .yasr table th'))"
        ".map(e => e.offsetWidth)"
    )
    before = browser.execute_script(headings)
    grip = browser.find_element(By.CSS_SELECTOR, "#yasgui .grip-handle .grip-resizable")
    ActionChains(browser).move_to_element(grip).click_and_hold().move_by_offset(
        40, 0
    ).release().perform()
    assert browser.execute_script(headings)[0] > before[0], (
        before,
        browser.execute_script(headings),
    )
    browser.execute_script(f"{tab}.getYasqe().setValue('SELECT * WHERE {{ ?s ?p }}');")
    icon = WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.CSS_SELECTOR, ".parseErrorIcon")
    )
    ActionChains(browser).move_to_element(icon).perform()
    shown = conditions.visibility_of_element_located((By.CSS_SELECTOR, ".yasqe_tooltip"))
    tooltip = WebDriverWait(browser, 10).until(shown)
    assert "Expected" in tooltip.text
    browser.save_screenshot(str(SHOTS / "query-page-tooltip.png"))
    assert violations(browser) == []


def test_query_page_works_without_javascript(site):
    with chromium() as driver:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        driver.get(f"{site.url}/sparql")
        assert driver.find_element(By.ID, "query-form").is_displayed()
        driver.find_element(By.CSS_SELECTOR, "form#query-form button[type=submit]").click()
        WebDriverWait(driver, 20).until(
            conditions.presence_of_element_located((By.CSS_SELECTOR, "table caption"))
        )
        assert (
            "European Cybersecurity Industrial"
            in driver.find_element(By.CSS_SELECTOR, "table").text
        )


def test_a_browser_leaves_no_profile_folder_behind():
    with chromium() as driver:
        profile = driver.ccn_profile
        driver.get("data:text/html,<title>x</title>")
        assert profile.is_dir() and any(profile.iterdir()), profile
    assert not profile.exists(), sorted(p.name for p in profile.rglob("*"))[:20]


def test_submission_form_shows_the_report(site, browser, tmp_path):
    from ccn_graph.model.stewards import Stewards

    from .test_submissions import member

    data_dir = context.services(site.app).settings.data_dir
    token = Stewards(data_dir).add("Browser steward", ("RO",))
    path = tmp_path / "member.ttl"
    path.write_text(member("browser-lab", category=False))
    visit(browser, f"{site.url}/submit", "submit-form", "#submit-form")
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "file").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "#submit-form button").click()
    WebDriverWait(browser, 20).until(lambda d: "HTTP 422" in d.find_element(By.ID, "outcome").text)
    browser.save_screenshot(str(SHOTS / "submit-report.png"))
    text = browser.find_element(By.ID, "outcome").text
    assert "does not conform" in text and "category" in text


def test_members_by_facets(site, browser):
    browser.get_log("browser")  # drain what earlier pages logged (a refused submission, on purpose)
    visit(browser, f"{site.url}/members", "members", "aside .facet a")
    total = int(browser.find_element(By.CSS_SELECTOR, "main p").text.split()[0])
    assert total == 60 and len(browser.find_elements(By.CSS_SELECTOR, "ol.hits li")) == 50
    browser.find_element(
        By.CSS_SELECTOR, 'nav[aria-label="Pages of members"] a[rel="next"]'
    ).click()
    WebDriverWait(browser, 20).until(
        conditions.presence_of_element_located((By.CSS_SELECTOR, "ol.hits li"))
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "ol.hits li")) == 10
    browser.get(f"{site.url}/members")
    facet = browser.find_element(By.CSS_SELECTOR, "aside .facet li a")
    expected = int(facet.find_element(By.XPATH, "..").text.rsplit("(", 1)[1].rstrip(")"))
    facet.click()
    WebDriverWait(browser, 20).until(
        conditions.presence_of_element_located((By.CSS_SELECTOR, "aside .facet strong"))
    )
    assert int(browser.find_element(By.CSS_SELECTOR, "main p").text.split()[0]) == expected
    assert len(browser.find_elements(By.CSS_SELECTOR, "ol.hits li")) == min(expected, 50)


def test_history_pages(site, browser):
    visit(browser, f"{site.url}/doc/ncc/ro", "ncc-ro-current", "article h1")
    title = browser.find_element(By.CSS_SELECTOR, "h1").text
    browser.find_element(By.LINK_TEXT, "all versions").click()
    WebDriverWait(browser, 20).until(conditions.url_contains("/timemap/ncc/ro"))
    visit(browser, browser.current_url, "timemap-ncc-ro", "table tbody tr")
    rows = browser.find_elements(By.CSS_SELECTOR, "table tbody tr")
    assert len(rows) >= 1 and rows[-1].find_elements(By.TAG_NAME, "td")[2].text == "created"
    rows[-1].find_element(By.CSS_SELECTOR, "td a").click()
    WebDriverWait(browser, 20).until(conditions.url_contains("/doc/ncc/ro/version/1"))
    visit(browser, browser.current_url, "memento-ncc-ro", "p.memento")
    assert browser.find_element(By.CSS_SELECTOR, "p.memento").text.startswith(
        "This is version 1 of this record"
    )
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == title
    browser.find_element(By.LINK_TEXT, "See the current one").click()
    WebDriverWait(browser, 20).until(lambda b: b.current_url.endswith("/doc/ncc/ro"))
    assert not browser.find_elements(By.CSS_SELECTOR, "p.memento")
    visit(browser, f"{site.url}/changes/1", "changes", "table tbody tr")
    rows = browser.find_elements(By.CSS_SELECTOR, "table tbody tr")
    total = int(browser.find_element(By.CSS_SELECTOR, "main p").text.split("(", 1)[1].split()[0])
    assert total > 60 and len(rows) == min(total, 100)  # the reference data, then the 60 members
    assert [r.find_element(By.TAG_NAME, "td").text for r in rows[:3]] == ["1", "2", "3"]
    rows[-1].find_elements(By.CSS_SELECTOR, "td a")[0].click()
    WebDriverWait(browser, 20).until(conditions.url_contains("/doc/synthetic-member/"))
