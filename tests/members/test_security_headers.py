import re

import pytest

pytestmark = pytest.mark.django_db


def test_html_responses_carry_a_strict_content_security_policy(client):
    response = client.get("/")

    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    directives = dict(
        [*part.split(" ", 1), ""][:2] for part in (p.strip() for p in policy.split(";"))
    )
    assert directives["script-src"] == f"'self' 'nonce-{nonce}'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "https://checkout.stripe.com" in directives["form-action"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_browser_refuses_an_injected_inline_script(live_server, browser):
    page = browser.new_page()
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(live_server.url + "/")

    ran = page.evaluate(
        """() => {
            window.injected = false;
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
            return window.injected;
        }"""
    )
    page.close()

    assert ran is False
    assert any("Content Security Policy" in text for text in messages)
