"""What the newcomer's path remembers: the groups they chose before they could join them."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from groups.models import Group
from members.models import User


class GroupPickQuerySet(models.QuerySet["GroupPick"]):
    def of(self, user: User) -> "GroupPickQuerySet":
        """The user's picks of groups that are still published, oldest first."""
        return self.filter(user=user, group__is_published=True).order_by("created_at", "pk")


class GroupPick(models.Model):
    """A group someone chose on the suggested-groups page before becoming a member.

    Groups are for paying members, so a newcomer can't join one yet: the pick keeps their
    choice, and once they are a member one press joins every picked group (and the picks go).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_picks"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = GroupPickQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="one_pick_per_user_and_group")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} picked {self.group_id}"
