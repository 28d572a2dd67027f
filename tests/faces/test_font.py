"""The headings' web font: a file of ours under static/fonts, with its licence, named by an
@font-face that swaps, and allowed by the CSP without naming any other site. (test_browser.py
sees Chromium load it from our static files.)"""

import re

from django.conf import settings
from django.contrib.staticfiles import finders

SITE_CSS = finders.find("css/site.css")


def font_faces() -> list[str]:
    assert SITE_CSS is not None
    with open(SITE_CSS, encoding="utf-8") as css:
        return re.findall(r"@font-face\s*{[^}]*}", css.read())


def test_the_heading_font_is_ours_and_declared_to_swap():
    faces = font_faces()

    assert len(faces) == 4  # latin and latin-ext, 600 and 700
    for face in faces:
        assert 'font-family: "Source Serif 4"' in face
        assert "font-display: swap" in face
        [url] = re.findall(r'url\("([^"]+)"\)', face)
        assert url.startswith("../fonts/") and url.endswith(".woff2")
        path = finders.find("fonts/" + url.removeprefix("../fonts/"))
        with open(path, "rb") as font:
            assert font.read(4) == b"wOF2"
    assert finders.find("fonts/source-serif-4-LICENSE.txt")
    with open(finders.find("fonts/source-serif-4-LICENSE.txt"), encoding="utf-8") as licence:
        assert "SIL Open Font License" in licence.read()


def test_headings_name_it_first():
    with open(SITE_CSS, encoding="utf-8") as css:
        text = css.read()

    [stack] = re.findall(r"--mutual-heading-font:\s*([^;]+);", text)
    assert stack.startswith('"Source Serif 4",')


def test_the_csp_loads_fonts_from_this_site_only():
    from django.utils.csp import CSP

    assert settings.SECURE_CSP["font-src"] == [CSP.SELF]
