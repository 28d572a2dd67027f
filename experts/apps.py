from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "experts"
    verbose_name = "Experts"

    def ready(self) -> None:
        # Register this app's email kinds with the members outbox.
        from experts import emails  # noqa: F401
