"""The base of every model factory: factory_boy's, typed so that `UserFactory()` is a User."""

from typing import TYPE_CHECKING, Any, TypeVar

from factory.django import DjangoModelFactory

T = TypeVar("T")


class ModelFactory(DjangoModelFactory[T]):
    """`DjangoModelFactory[Model]` whose call returns the model to mypy, as it does at run time.

    factory_boy's `Factory.__new__` is unannotated, so mypy would take `UserFactory()` for a
    `UserFactory` (its `create()` and `build()` are typed already).
    """

    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # mypy wants __new__ to return the class itself; a factory returns its model instead.
        def __new__(cls, *args: Any, **kwargs: Any) -> T: ...  # type: ignore[misc]
