from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = "Mail"

    def ready(self) -> None:
        # Register this app's own email kinds with the outbox.
        from mail import emails  # noqa: F401
