#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # manage.py is the developer's tool: with DEBUG unset it uses the embedded development
    # defaults. The servers (wsgi, asgi, Celery) default to DEBUG off and refuse to start
    # without their secrets; deployments set DEBUG=false for management commands too.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
