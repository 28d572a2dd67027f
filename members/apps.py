from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members"

    def ready(self) -> None:
        # Register this app's email kinds with the outbox.
        from members import emails  # noqa: F401
