"""Helpers for the browser tests (Debian's Chromium through Playwright)."""

from axe_playwright_python.sync_playwright import Axe

from tests.members.factories import PASSWORD


def submit(page) -> None:
    page.locator("main form button[type=submit]").last.click()


def sign_in(page, live_server, user) -> None:
    """Sign in through the real form; the site then opens the signed-in home."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    submit(page)
    page.wait_for_url(f"{live_server.url}/")


def serious_violations(page) -> list[str]:
    """axe's serious and critical accessibility findings on the page, one line each."""
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
