from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """A member's own data: download it all, or erase the account (above every other app)."""

    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from privacy import emails  # noqa: F401  (registers the "account_deleted" email kind)
