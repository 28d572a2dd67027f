"""Every setting that config/settings.py reads from the environment is listed in .env.example.

The settings module is read as source (its AST), not imported, so a setting read on only one
branch (DEBUG on or off, PostgreSQL or SQLite, EMAIL_URL set or not) is found too.
"""

import ast
import re
from pathlib import Path

from django.conf import settings

SETTINGS_FILE = Path(settings.BASE_DIR) / "config" / "settings.py"
ENV_EXAMPLE = Path(settings.BASE_DIR) / ".env.example"

# django-environ's readers: env("X"), env.str("X"), env.bool("X")... (the first argument).
ENV_READERS = {"str", "bool", "int", "float", "list", "tuple", "dict", "json", "path", "url"}
ENV_READERS |= {"db", "db_url", "cache", "cache_url", "email", "email_url", "search_url"}


def _is_env(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "env"


def _is_os_environ(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _literal_names(node: ast.expr) -> list[str]:
    """The strings of a literal tuple, list or set, as a comprehension iterates over."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []


def names_read_from_environment(source: str) -> set[str]:
    """The environment variable names a settings module reads, found in its source."""
    tree = ast.parse(source)
    # `for name in ("SECRET_KEY", ...)` then `env.str(name)`: the loop's literal names.
    loop_names: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension | ast.For) and isinstance(node.target, ast.Name):
            loop_names.setdefault(node.target.id, []).extend(_literal_names(node.iter))

    names: set[str] = set()
    unreadable: list[str] = []

    def first_argument(call: ast.Call) -> None:
        if not call.args:
            return
        arg = call.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            names.add(arg.value)
        elif isinstance(arg, ast.Name) and loop_names.get(arg.id):
            names.update(loop_names[arg.id])
        else:
            unreadable.append(f"line {call.lineno}: {ast.unparse(call)}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if _is_env(func):  # env("X")
                first_argument(node)
            elif isinstance(func, ast.Attribute) and _is_env(func.value):
                if func.attr in ENV_READERS:  # env.str("X")
                    first_argument(node)
            elif isinstance(func, ast.Attribute) and func.attr in {"getenv"}:
                first_argument(node)  # os.getenv("X")
            elif (
                isinstance(func, ast.Attribute)
                and func.attr in {"get", "setdefault", "pop"}
                and _is_os_environ(func.value)
            ):
                first_argument(node)  # os.environ.get("X")
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                names.add(node.slice.value)  # os.environ["X"]
            else:
                unreadable.append(f"line {node.lineno}: {ast.unparse(node)}")

    assert not unreadable, (
        "config/settings.py reads the environment with a name this test cannot see; use a "
        "literal name (or a loop over literal names):\n  " + "\n  ".join(unreadable)
    )
    return names


def names_in_env_example(text: str) -> set[str]:
    """Every NAME= in .env.example, commented out (`# NAME=...`) or not."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_the_reader_finds_every_kind_of_read():
    source = """
import os
env = environ.Env()
A = env("A")
B = env.bool("B", default=False)
C = env.db("C")
D = os.environ.get("D")
E = os.environ["E"]
F = os.getenv("F")
missing = [n for n in ("G", "H") if not env.str(n, default="")]
"""
    assert names_read_from_environment(source) == {"A", "B", "C", "D", "E", "F", "G", "H"}


def test_the_example_lists_commented_and_uncommented_names():
    text = "DEBUG=true\n# Explanation: not a setting\n# TRUSTED_PROXY_COUNT=0\nnot A=1\n"
    assert names_in_env_example(text) == {"DEBUG", "TRUSTED_PROXY_COUNT"}


def test_every_environment_setting_is_in_env_example():
    read = names_read_from_environment(SETTINGS_FILE.read_text())
    listed = names_in_env_example(ENV_EXAMPLE.read_text())
    assert "SECRET_KEY" in read  # the reader works on the real file

    missing = sorted(read - listed)
    assert not missing, (
        f"config/settings.py reads {len(missing)} environment setting(s) that .env.example "
        f"does not list: {', '.join(missing)}. Add each to .env.example with a one-line "
        "explanation (commented out, `# NAME=default`, if it is optional)."
    )
