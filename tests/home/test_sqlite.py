"""`make run` keeps its data in SQLite: the home's queries must be ones SQLite can run."""

import pytest
from django.db.utils import ConnectionHandler, NotSupportedError

from groups.models import Group
from home.selectors import _in_order, _names_of


@pytest.fixture
def sqlite():
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    )
    connection = handler["default"]
    yield connection
    connection.close()


def test_shared_interest_names_compile_for_sqlite(sqlite):
    names = Group.objects.annotate(names=_names_of("interests__name")).values("names")

    sql, _params = names.query.get_compiler(connection=sqlite).as_sql()

    assert "GROUP_CONCAT" in sql


def test_an_order_inside_the_aggregate_would_not(sqlite):
    """The check above can fail: what SQLite refuses is refused here too."""
    from django.db.models import StringAgg, Value

    ordered = Group.objects.annotate(
        names=StringAgg("interests__name", Value(","), order_by="interests__name")
    ).values("names")

    with pytest.raises(NotSupportedError):
        ordered.query.get_compiler(connection=sqlite).as_sql()


def test_names_come_back_in_order():
    assert _in_order("\x1f".join(["Sales", "marketing", "Mindfulness"])) == (
        "marketing, Mindfulness, Sales"
    )
