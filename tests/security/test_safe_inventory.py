"""Every way our code can switch off Django's autoescaping is listed here, with the reason.

The project's own code and templates are searched (not .venv): Python for `mark_safe`,
`SafeString`, `format_html(_join)`, `html_safe`, filters registered `is_safe` or
`needs_autoescape`, and an engine with `"autoescape": False`; templates for `|safe`,
`|safeseq`, `{% filter safe %}` and `{% autoescape off %}`. Each use found must match an
entry below, with the same count, or the test fails until someone looks at it and says why
it is safe. `format_html` is on the list too, since a caller can defeat it by formatting
the string first; a separate test requires its format string to be a literal.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

BASE = Path(__file__).resolve().parents[2]
SEARCHED = [
    "config",
    "members",
    "groups",
    "events",
    "discounts",
    "experts",
    "digests",
    "privacy",
    "templates",
]
TEMPLATE_SUFFIXES = {".html", ".txt", ".xml", ".ics"}

# (file, where, what) -> (how many, why it is safe)
ALLOWED: dict[tuple[str, str, str], tuple[int, str]] = {
    ("discounts/admin.py", "PartnerAdmin.verification_link", "format_html"): (
        1,
        "a literal format; the URL and the translated help text are escaped as arguments",
    ),
    ("discounts/admin.py", "OfferAdmin.code_pool", "format_html"): (
        1,
        "a literal format; the counts sentence, the admin URL and the label are escaped",
    ),
    ("experts/admin.py", "ExpertAdmin.photo_preview", "format_html"): (
        1,
        "a literal format; the photo's storage URL is escaped into src",
    ),
    ("experts/admin.py", "ExpertRequestAdmin.account", "format_html"): (
        1,
        "a literal format; the admin URL and the member's address are escaped (staff only)",
    ),
    (
        "templates/allauth/elements/fields.html",
        "{{ bound_field.help_text|safe }}",
        "|safe",
    ): (
        4,
        "help texts are ours or Django's (password rules as an HTML list), never user "
        "input; Django's own form templates print them unescaped the same way",
    ),
    ("templates/account/email/base_subject.txt", "{% autoescape off %}", "autoescape off"): (
        1,
        "every account email's subject line (plain text, a header) extends this one; allauth's "
        "own subject templates are written the same way",
    ),
    ("templates/account/email/base_message.txt", "{% autoescape off %}", "autoescape off"): (
        1,
        "the plain-text body (text/plain) every account email extends; its HTML part is made "
        "from it by mail.emails.html_from_text, which escapes it",
    ),
    ("templates/mail/email/base.txt", "{% autoescape off %}", "autoescape off"): (
        1,
        "the plain-text part of our email (text/plain); the one page that shows it, the "
        "admin's digest preview, must force_escape it: the render comes back marked safe",
    ),
}

PY_NAMES = {"mark_safe", "SafeString", "SafeText", "format_html", "format_html_join", "html_safe"}
TEMPLATE_PATTERNS = {
    "|safe": re.compile(r"\|\s*safe\b"),
    "|safeseq": re.compile(r"\|\s*safeseq\b"),
    "filter safe": re.compile(r"\{%\s*filter\s[^%]*\bsafe"),
    "autoescape off": re.compile(r"\{%\s*autoescape\s+off\s*%\}"),
}
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def _files(suffixes: set[str]):
    for folder in SEARCHED:
        for path in sorted((BASE / folder).rglob("*")):
            if path.suffix in suffixes and "__pycache__" not in path.parts and path.is_file():
                yield path


def _called_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


class _Finder(ast.NodeVisitor):
    """Uses of the names that mark text safe, by the class and function they are in."""

    def __init__(self):
        self.scope: list[str] = []
        self.found: list[tuple[str, str, ast.AST]] = []

    def _scoped(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _scoped

    def _add(self, what: str, node: ast.AST) -> None:
        self.found.append((".".join(self.scope) or "<module>", what, node))

    def visit_Call(self, node: ast.Call):
        name = _called_name(node.func)
        if name in PY_NAMES:
            self._add(name, node)
        for keyword in node.keywords:
            if keyword.arg in ("is_safe", "needs_autoescape") and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                self._add(keyword.arg, node)
        if not isinstance(node.func, ast.Name):  # a called name is counted once, above
            self.visit(node.func)
        for child in (*node.args, *node.keywords):
            self.visit(child)

    def visit_Name(self, node: ast.Name):
        # Decorators and names passed around (`@html_safe`, `register.filter(mark_safe)`).
        if node.id in PY_NAMES and isinstance(node.ctx, ast.Load):
            self._add(node.id, node)

    def visit_Dict(self, node: ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if (
                isinstance(key, ast.Constant)
                and key.value == "autoescape"
                and isinstance(value, ast.Constant)
                and value.value is False
            ):
                self._add("autoescape False", node)
        self.generic_visit(node)


def _python_uses() -> list[tuple[str, str, str, ast.AST]]:
    uses = []
    for path in _files({".py"}):
        finder = _Finder()
        finder.visit(ast.parse(path.read_text(), filename=str(path)))
        rel = str(path.relative_to(BASE))
        uses += [(rel, where, what, node) for where, what, node in finder.found]
    return uses


def _template_uses() -> list[tuple[str, str, str]]:
    uses = []
    for path in _files(TEMPLATE_SUFFIXES):
        rel = str(path.relative_to(BASE))
        for line in path.read_text().splitlines():
            for what, pattern in TEMPLATE_PATTERNS.items():
                for match in pattern.finditer(line):
                    tag = next(
                        (
                            t.group(0)
                            for t in TAG.finditer(line)
                            if t.start() <= match.start() < t.end()
                        ),
                        match.group(0),
                    )
                    uses.append((rel, tag, what))
    return uses


def test_every_way_around_autoescaping_is_listed_and_justified():
    found = Counter(
        [(rel, where, what) for rel, where, what, _ in _python_uses()] + _template_uses()
    )
    allowed = Counter({key: count for key, (count, _) in ALLOWED.items()})

    unlisted = {key: n for key, n in found.items() if allowed[key] != n}
    gone = {key: n for key, n in allowed.items() if found[key] != n}
    assert unlisted == {}, "New or changed uses: review each, then list it with its reason"
    assert gone == {}, "Listed uses that are no longer there: take them off the list"
    assert all(reason.strip() for _, reason in ALLOWED.values())


def test_format_html_is_only_given_a_literal_format():
    """`format_html(f"<b>{name}</b>")` would escape nothing: the format must be a literal."""
    misused = []
    for rel, where, what, node in _python_uses():
        if what not in ("format_html", "format_html_join") or not isinstance(node, ast.Call):
            continue
        position = 0 if what == "format_html" else 1
        fmt = node.args[position] if len(node.args) > position else None
        if not (isinstance(fmt, ast.Constant) and isinstance(fmt.value, str)):
            misused.append(f"{rel}:{node.lineno} in {where}")
        elif what == "format_html" and len(node.args) < 2 and not node.keywords:
            misused.append(f"{rel}:{node.lineno} in {where}: no arguments (use a string)")
    assert misused == []


def test_the_search_finds_what_it_looks_for(tmp_path, monkeypatch):
    """The scanner itself: a planted use of each kind is found (so silence means something)."""
    planted = tmp_path / "planted"
    (planted / "templates").mkdir(parents=True)
    (planted / "app").mkdir()
    (planted / "app" / "views.py").write_text(
        "from django.utils.safestring import mark_safe\n"
        "from django.utils.html import format_html\n"
        "class V:\n"
        "    def get(self, name):\n"
        "        return mark_safe(name)\n"
        "def f(name):\n"
        "    return format_html(f'<b>{name}</b>')\n"
        "ENGINE = {'autoescape': False}\n"
        "@html_safe\n"
        "class Card:\n"
        "    pass\n"
    )
    (planted / "templates" / "page.html").write_text(
        "{{ bio|safe }} {{ names|safeseq }}\n{% autoescape off %}{{ x }}{% endautoescape %}\n"
        "{% filter safe %}{{ y }}{% endfilter %}\n"
    )
    monkeypatch.setattr(f"{__name__}.BASE", planted)
    monkeypatch.setattr(f"{__name__}.SEARCHED", ["app", "templates"])

    python = {(rel, where, what) for rel, where, what, _ in _python_uses()}
    templates = set(_template_uses())

    assert python == {
        ("app/views.py", "<module>", "autoescape False"),
        ("app/views.py", "V.get", "mark_safe"),
        ("app/views.py", "f", "format_html"),
        ("app/views.py", "Card", "html_safe"),
    }
    assert {what for _, _, what in templates} == {
        "|safe",
        "|safeseq",
        "autoescape off",
        "filter safe",
    }
    assert ("templates/page.html", "{{ bio|safe }}", "|safe") in templates
    misused = [
        node.lineno
        for _, _, what, node in _python_uses()
        if what == "format_html" and not isinstance(node.args[0], ast.Constant)
    ]
    assert misused == [7]
