"""The events app listening to the members app below it (imports never point up)."""

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from events.services.rsvp import member_rsvps_release


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="events_release_places")
def release_places_of_deleted_member(sender, instance, **kwargs):
    """A member deleting their account gives back their places (promoting whoever is next),
    so `confirmed_places` never counts a reply that no longer exists."""
    member_rsvps_release(member=instance)
