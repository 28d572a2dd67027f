from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        # The email kinds register with the outbox, and the signals with the members app,
        # on import.
        from events import emails, signals  # noqa: F401
        from events.selectors import expert_appearances, group_page_events
        from experts.selectors import register_appearances_provider
        from groups.selectors import register_page_section

        # The experts app lists an expert's events through this hook: it never imports us.
        register_appearances_provider(expert_appearances)
        # A group's page shows its next events through this hook: groups never imports us.
        register_page_section(group_page_events)
