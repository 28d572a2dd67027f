from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = _("Groups and discussions")

    def ready(self) -> None:
        # Registers the app's email kinds with the outbox.
        from groups import emails  # noqa: F401
