from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Register this app's email kinds with the outbox.
        from billing import emails  # noqa: F401
