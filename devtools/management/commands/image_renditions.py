"""Make the renditions that are missing for every image field that keeps them.

Uploads get theirs when they are saved; this is for files stored before (the migration that
introduced renditions runs the same function for experts' photos and partners' logos), for a
restored media folder, or after a field's sizes change (a file missing any size gets them all
made again).
"""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand

from core.images import RenditionImageField, renditions_backfill


class Command(BaseCommand):
    help = "Make missing image renditions (members' and experts' photos, logos, covers)."

    def handle(self, *args: Any, **options: Any) -> None:
        for model in apps.get_models():
            for field in model._meta.get_fields():
                if isinstance(field, RenditionImageField):
                    made = renditions_backfill(
                        model._default_manager.all(), field.name, renditions=field.renditions
                    )
                    self.stdout.write(f"{model._meta.label}.{field.name}: {made} made.")
