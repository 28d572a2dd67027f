"""Browser helpers for the security tests: signed-in tabs, a script tripwire, a DOM audit.

A `Visitor` is one browser context signed in as one person by copying a session cookie
(made with the test client's `force_login`), so no test pays for the login form. Every
document it opens runs `TRIPWIRE_JS` first: hostile payloads in the XSS tests call
`window.__xss.push(...)`, and every `securitypolicyviolation` event is kept in
`window.__csp`. `Visitor.visit` then audits the DOM for markup a payload could only have
put there (on* attributes, `data-pwn` canaries, injected scripts, `javascript:` links),
so escaping is tested even where the Content Security Policy would have blocked the script.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.test import Client
from zeal import zeal_ignore

# Runs before any script of every document the visitor opens.
TRIPWIRE_JS = """
window.__xss = [];
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push([event.violatedDirective, event.blockedURI, event.sourceFile,
                     event.lineNumber, event.sample].join(" "));
}, true);
"""

# Everything in a page that only injected markup could have put there. The site itself uses
# no inline event handlers (the CSP would refuse them), no frames and no javascript: URLs.
DOM_AUDIT_JS = """
() => {
  const found = [];
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) found.push(`${describe(el)} has ${name}="${attr.value}"`);
      if (name === "data-pwn") found.push(`${describe(el)} carries the canary`);
      if (name === "srcdoc") found.push(`${describe(el)} has srcdoc`);
    }
  }
  for (const script of document.querySelectorAll("script")) {
    if (script.src && new URL(script.src).origin !== location.origin) {
      found.push(`script from ${script.src}`);
    }
    if (script.textContent.includes("__xss")) found.push("an injected inline script");
  }
  for (const el of document.querySelectorAll("iframe, frame, object, embed, base, math")) {
    found.push(`an injected <${el.tagName.toLowerCase()}>`);
  }
  for (const el of document.querySelectorAll("meta[http-equiv]")) {
    found.push(`meta http-equiv=${el.getAttribute("http-equiv")}`);
  }
  const urls = [
    ...[...document.querySelectorAll("a[href], area[href]")].map((el) => [el, el.href]),
    ...[...document.querySelectorAll("form[action]")].map((el) => [el, el.action]),
    ...[...document.querySelectorAll("[formaction]")].map((el) => [el, el.formAction]),
    ...[...document.querySelectorAll("img[src], source[src]")].map((el) => [el, el.src]),
  ];
  for (const [el, url] of urls) {
    let scheme = "";
    try { scheme = new URL(url, location.href).protocol; } catch (error) { continue; }
    if (!["http:", "https:", "mailto:", "tel:", "data:"].includes(scheme)) {
      found.push(`${describe(el)} points at ${scheme} (${url.slice(0, 80)})`);
    }
    if (scheme === "data:" && el.tagName !== "IMG") found.push(`${describe(el)} -> data:`);
  }
  return found;
}
"""


@dataclass
class Findings:
    """What one page load revealed: scripts that ran, dialogs, CSP reports, odd markup."""

    path: str
    status: int
    xss: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)
    csp_events: list = field(default_factory=list)
    csp_console: list = field(default_factory=list)
    dom: list = field(default_factory=list)

    @property
    def problems(self) -> list:
        return [
            *[f"script ran: {x}" for x in self.xss],
            *[f"dialog: {x}" for x in self.dialogs],
            *[f"CSP event: {x}" for x in self.csp_events],
            *[f"CSP console: {x}" for x in self.csp_console],
            *[f"DOM: {x}" for x in self.dom],
        ]


def session_cookie(user, *, mfa: bool = False) -> str:
    """A session for `user` as allauth leaves it after a login just now (and MFA if asked).

    The records make the login recent (as if they had just confirmed it's them), so pages
    that ask for that (turning on two-factor authentication, say) open; staff need the "mfa"
    record for the admin (compare `admin_client` in tests/conftest.py).
    """
    client = Client()
    with zeal_ignore():  # one login per person: repeated by design, not an N+1
        client.force_login(user)
        session = client.session
        records = [
            {"method": "password", "at": time.time(), "email": user.email, "reauthenticated": True}
        ]
        if mfa:
            records.append({"method": "mfa", "at": time.time(), "type": "totp"})
        session["account_authentication_methods"] = records
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class Visitor:
    """One person in their own browser context (anonymous when `user` is None)."""

    def __init__(self, browser, base_url: str, user=None, *, mfa: bool = False):
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(15_000)
        if user is not None:
            self.context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": session_cookie(user, mfa=mfa),
                        "url": base_url,
                    }
                ]
            )
        self.context.add_init_script(TRIPWIRE_JS)
        self.page = self.context.new_page()
        self._dialogs: list[str] = []
        self._console: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.page.on(
            "console",
            lambda message: (
                self._console.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def _on_dialog(self, dialog) -> None:
        self._dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def visit(self, path: str) -> Findings:
        self._dialogs.clear()
        self._console.clear()
        response = self.page.goto(self.base_url + path, wait_until="load")
        return self.audit(path, response.status if response else 0)

    def landed(self) -> str:
        """The path (without the query) the tab is showing now."""
        return self.page.url.removeprefix(self.base_url).split("?")[0]

    def audit(self, path: str, status: int) -> Findings:
        # Anything a load event handler could trigger has run by now; give timers a tick.
        self.page.wait_for_timeout(20)
        state = self.page.evaluate("() => ({xss: window.__xss || [], csp: window.__csp || []})")
        return Findings(
            path=path,
            status=status,
            xss=list(state["xss"]),
            dialogs=list(self._dialogs),
            csp_events=list(state["csp"]),
            csp_console=list(self._console),
            dom=self.page.evaluate(DOM_AUDIT_JS),
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visitors(browser, live_server):
    """Make `Visitor`s for people; every context is closed when the test ends."""
    made: list[Visitor] = []

    def make(user=None, *, mfa: bool = False) -> Visitor:
        visitor = Visitor(browser, live_server.url, user, mfa=mfa)
        made.append(visitor)
        return visitor

    yield make
    for visitor in made:
        visitor.close()
