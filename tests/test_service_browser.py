"""End to end in a real browser (Debian's chromium, driven by selenium through
Debian's chromedriver; nothing is downloaded): the broker signs in and offers
a package; the provider signs in, sees the offer, checks the fit and
accepts; the broker sees it placed and its audit trail; the provider's
demand map renders. No page breaks the content security policy. Screenshots
go to test-artifacts/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from browser import ARTEFACTS, FLAGS
from service_helpers import PASSWORD, PROVIDER, make_app, sqlite_copy

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Debian's chromium and chromium-driver are not installed",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path: Path):
    """The service on a loopback port, in a thread of this process."""
    import uvicorn

    app = make_app(sqlite_copy(tmp_path), tmp_path / "data", users=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    app.state.ctx.offers.close()


@pytest.fixture()
def browser(tmp_path: Path):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _shot(driver, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTEFACTS / name))


def _sign_in(driver, base: str, username: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "sign-in").click()
    # The click does not wait for the navigation: wait for the signed-in page (the login page has no .who).
    assert _wait(driver, "header .who").text.startswith(username)


def _wait(driver, css: str, timeout: float = 60):
    """The element, once present; on a timeout the page is kept as an artefact (screenshot and HTML)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))
    except TimeoutException:
        _shot(driver, "service-timeout.png")
        (ARTEFACTS / "service-timeout.html").write_text(driver.page_source, encoding="utf-8")
        raise


def test_broker_offers_provider_accepts_broker_sees_it_placed(server: str, browser) -> None:
    """The whole journey of a package through two people's browsers."""
    from selenium.webdriver.common.by import By

    d = browser
    _sign_in(d, server, "broker1")
    _wait(d, "#board")
    assert d.find_element(By.CSS_SELECTOR, 'tr[data-package="PK00110"]').get_attribute("data-status") == "awaiting"
    _shot(d, "service-broker-board.png")
    d.find_element(By.LINK_TEXT, "PK00110").click()
    _wait(d, "#shortlist")
    d.find_element(By.CSS_SELECTOR, f'button.offer[data-provider="{PROVIDER}"]').click()
    offered = _wait(d, '#history tr[data-status="offered"]')
    offer_id = offered.get_attribute("data-offer")

    _sign_in(d, server, "s74-a")
    row = _wait(d, f'#offers tr[data-offer="{offer_id}"]')
    assert row.get_attribute("data-status") == "offered"
    row.find_element(By.TAG_NAME, "a").click()
    _wait(d, "#calls")
    d.find_element(By.ID, "check-fit").click()  # htmx fetches the fit into the page
    fit = _wait(d, "#fit-result #fit-calls")
    assert fit.find_elements(By.CSS_SELECTOR, "tbody tr")
    _shot(d, "service-provider-offer-fit.png")
    d.find_element(By.ID, "accept").click()
    # The old page has #offer-status too: wait for the new one's status.
    assert _wait(d, '#offer-status[data-status="placed"]').text.startswith("Status: placed")

    _sign_in(d, server, "broker1")
    _wait(d, "#board")
    assert d.find_element(By.CSS_SELECTOR, 'tr[data-package="PK00110"]').get_attribute("data-status") == "placed"
    d.get(f"{server}/broker/packages/PK00110")
    trail = [td.text for td in d.find_elements(By.CSS_SELECTOR, "#audit tbody tr td:nth-child(3)")]
    assert trail == ["offer", "accept", "place"]
    _shot(d, "service-broker-audit.png")

    _sign_in(d, server, "s74-a")
    d.get(f"{server}/provider/demand")
    _wait(d, "#demand-map[data-drawn]")
    assert int(d.find_element(By.ID, "demand-map").get_attribute("data-drawn")) >= 1
    assert d.find_elements(By.CSS_SELECTOR, "#demand-map path.leaflet-interactive")
    _shot(d, "service-provider-demand.png")

    blocked = [e["message"] for e in d.get_log("browser") if "Content Security Policy" in e["message"]]
    assert blocked == []


def test_api_page_renders_under_the_csp(server: str, browser) -> None:
    """/api/docs: the vendored Swagger UI lists the API's operations from /api/openapi.json, signed in,
    with no script or style refused by the content security policy."""
    from selenium.webdriver.common.by import By

    d = browser
    _sign_in(d, server, "broker1")
    d.get(f"{server}/api/docs")
    title = _wait(d, "#swagger-ui .info .title")
    assert title.text.startswith("patchplan")
    _wait(d, "#swagger-ui .opblock")
    paths = {e.get_attribute("data-path") for e in d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/api/backlog", "/api/packages/{package_id}/shortlist", "/api/offers/{offer_id}/withdraw"} <= paths
    _shot(d, "service-api-docs.png")
    blocked = [e["message"] for e in d.get_log("browser") if "Content Security Policy" in e["message"]]
    assert blocked == []
