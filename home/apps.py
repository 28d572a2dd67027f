from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The signed-in home: a member's "what's on for me", a newcomer's checklist, and the
    path from sign-up to the first meeting (above every feature app, beside digests)."""

    name = "home"
    verbose_name = "Home"
