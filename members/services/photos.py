"""Writes for members' photos: the files of a photo that is replaced, removed or erased go,
with their renditions, once the change is committed."""

from django.db import transaction

from core.images import image_files_delete
from members.models import Profile, User


def profile_photo_files_forget(*, name: str | None) -> None:
    """Delete the stored photo `name` and its renditions when the current transaction commits
    (at once outside one): a change that is rolled back keeps the photo it still shows."""
    if not name:
        return
    field = Profile._meta.get_field("photo")
    transaction.on_commit(lambda: image_files_delete(field.storage, name, field.renditions))


@transaction.atomic
def profile_photo_remove(*, profile: Profile) -> None:
    """The member takes their photo down: the profile shows their initial again."""
    name = profile.photo.name
    if not name:
        return
    profile.photo = ""
    profile.save(update_fields=["photo", "updated_at"])
    profile_photo_files_forget(name=name)


def profile_photo_erase(*, user: User) -> None:
    """The account is being erased (call inside the erasure's transaction): its photo and
    renditions are deleted from storage when the erasure commits."""
    name = Profile.objects.filter(user=user).values_list("photo", flat=True).first()
    profile_photo_files_forget(name=name)
