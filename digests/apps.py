from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "digests"
    verbose_name = "Digests"

    def ready(self) -> None:
        from digests import emails  # noqa: F401  (registers the "digest" email kind)
