from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development tools at the top of the house: `seed_demo`, `stripe_standin` and
    `check_services`. Installed always (docker-compose's `stripe` service runs the stand-in),
    but no product module imports anything here."""

    name = "devtools"
    verbose_name = "Development tools"
