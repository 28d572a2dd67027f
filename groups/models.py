"""Groups members join by shared interests, their proposals, and each group's discussion."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Prefetch, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.images import COVER_RENDITIONS, ImageValidator, RandomName, RenditionImageField
from members.models import Interest

COVER_MAX_BYTES = 5 * 1024 * 1024
_cover_check = ImageValidator(max_bytes=COVER_MAX_BYTES, what=_("cover image"))


def validate_cover(value) -> None:
    """A JPEG, PNG or WebP image of at most 5 MB and 4000 pixels a side, stored without its
    metadata (core.images). Events' covers use it too."""
    _cover_check(value)


# A group with a post this recent counts as active in the recommendations' tie-break.
RECENT_ACTIVITY = timedelta(days=30)


class GroupQuerySet(models.QuerySet["Group"]):
    def published(self) -> "GroupQuerySet":
        return self.filter(is_published=True)

    def for_listing(self) -> "GroupQuerySet":
        """What a group card shows: its interests, loaded in one extra query for the page."""
        return self.prefetch_related(
            Prefetch("interests", queryset=Interest.objects.order_by("name"))
        )

    def search(self, text: str) -> "GroupQuerySet":
        text = text.strip()
        if not text:
            return self
        interest_named = Group.interests.through.objects.filter(
            group_id=OuterRef("pk"), interest__name__iexact=text
        )
        return self.filter(
            Q(name__icontains=text)
            | Q(summary__icontains=text)
            | Q(city__icontains=text)
            | Q(Exists(interest_named))
        )

    def with_interest(self, interest: Interest) -> "GroupQuerySet":
        return self.filter(interests=interest)

    def in_city(self, city: str) -> "GroupQuerySet":
        return self.filter(city__iexact=city.strip())

    def by_activity(self) -> "GroupQuerySet":
        """Recently active groups first, then the bigger ones, then by name."""
        return self.annotate(recently_active=_recently_active()).order_by(
            "-recently_active", "-member_count", F("last_activity_at").desc(nulls_last=True), "name"
        )

    def not_joined_by(self, user) -> "GroupQuerySet":
        return self.exclude(Exists(GroupMembership.objects.filter(group=OuterRef("pk"), user=user)))

    def sharing_interests(self, interest_ids, *, city: str = "") -> "GroupQuerySet":
        """Groups with at least one of `interest_ids`, best match first, in one query.

        `shared` counts the matching interests: the filter on the interests join comes before
        the annotation, so the count runs over the matching rows only and groups sharing
        nothing never reach the GROUP BY. Ties go to a group in the member's own town, then to
        one with discussion in the last 30 days (the nearest thing to "upcoming activity"
        until events exist), then to the bigger group, then by name so the order is stable.
        `interest_ids` may be a list or a subquery; both work on PostgreSQL and SQLite.
        """
        same_city = (
            Case(
                When(city__iexact=city.strip(), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            if city.strip()
            else Value(0, output_field=IntegerField())
        )
        return (
            self.filter(interests__in=interest_ids)
            .annotate(
                shared=models.Count("interests"),
                same_city=same_city,
                recently_active=_recently_active(),
            )
            .order_by(
                "-shared",
                "-same_city",
                "-recently_active",
                "-member_count",
                F("last_activity_at").desc(nulls_last=True),
                "name",
            )
        )


def _recently_active() -> Case:
    return Case(
        When(last_activity_at__gte=timezone.now() - RECENT_ACTIVITY, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


class Group(models.Model):
    """A local group around shared interests. Staff curate them; members may propose one."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("web address"), max_length=140, unique=True)
    summary = models.CharField(
        _("summary"),
        max_length=300,
        help_text=_("One or two sentences anyone can read, members or not."),
    )
    details = models.TextField(
        _("details for members"),
        max_length=5000,
        blank=True,
        help_text=_("Where and when you meet, what to expect. Only members see this."),
    )
    interests = models.ManyToManyField(Interest, related_name="groups", verbose_name=_("interests"))
    city = models.CharField(
        _("town, city or area"), max_length=80, blank=True, help_text=_("Blank for online.")
    )
    cover = RenditionImageField(
        _("cover image"),
        upload_to=RandomName("groups/covers/"),
        blank=True,
        renditions=COVER_RENDITIONS,
        validators=[validate_cover],
        help_text=_(
            "Optional. JPEG, PNG or WebP, at most 5 MB. Shown two by one, trimmed to the "
            "middle: a landscape photo of at least 1600 by 800 pixels looks best."
        ),
    )
    is_published = models.BooleanField(_("published"), default=True)
    # Kept by the join and leave services with F(), so lists never count rows.
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)
    last_activity_at = models.DateTimeField(
        _("last discussion"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GroupQuerySet.as_manager()

    # Not columns: what groups.selectors sets on the groups a page shows (recommended_groups,
    # group_listing), for the templates.
    reason: str
    joined: bool

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="group_slug_not_empty"),
            models.CheckConstraint(
                condition=Q(member_count__gte=0), name="group_member_count_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["is_published", "city"], name="group_published_city"),
            # /groups/ lists published groups by name, a page at a time.
            models.Index(
                fields=["name", "id"], condition=Q(is_published=True), name="group_listed_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("groups:detail", kwargs={"slug": self.slug})


class GroupMembershipQuerySet(models.QuerySet["GroupMembership"]):
    def organisers(self) -> "GroupMembershipQuerySet":
        return self.filter(role=GroupMembership.Role.ORGANISER)

    def with_profiles(self) -> "GroupMembershipQuerySet":
        """Each member's name, headline and interests: never their contact details."""
        return self.select_related("user__profile").prefetch_related(
            Prefetch("user__profile__interests", queryset=Interest.objects.order_by("name"))
        )

    def for_member_list(self) -> "GroupMembershipQuerySet":
        """Members who chose to be listed, organisers first, then the newest."""
        return (
            self.filter(user__is_active=True, user__profile__in_directory=True)
            .with_profiles()
            .order_by("-role", "-joined_at", "-pk")
        )


class GroupMembership(models.Model):
    class Role(models.TextChoices):
        # Sorted as text, "organiser" comes after "member": `-role` lists organisers first.
        MEMBER = "member", _("member")
        ORGANISER = "organiser", _("organiser")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    objects = GroupMembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="one_membership_per_group"),
            models.CheckConstraint(
                condition=Q(role__in=["member", "organiser"]), name="group_membership_role_valid"
            ),
        ]
        indexes = [
            # A group's organisers, and its member list (organisers first, then the newest),
            # read in index order a page at a time.
            models.Index(fields=["group", "role", "joined_at", "id"], name="group_member_list")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id} ({self.role})"

    @property
    def is_organiser(self) -> bool:
        return self.role == self.Role.ORGANISER


class GroupProposal(models.Model):
    """A member's idea for a group; staff approve it (creating the group) or decline it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a decision")
        APPROVED = "approved", _("approved")
        DECLINED = "declined", _("declined")

    MAX_PENDING = 3

    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_proposals"
    )
    name = models.CharField(_("group name"), max_length=120)
    summary = models.CharField(
        _("summary"), max_length=300, help_text=_("What the group is about, in a sentence or two.")
    )
    details = models.TextField(
        _("how it would work"),
        max_length=5000,
        blank=True,
        help_text=_("Where and how often you'd meet, and who it's for."),
    )
    interests = models.ManyToManyField(Interest, related_name="group_proposals")
    city = models.CharField(
        _("town, city or area"), max_length=80, blank=True, help_text=_("Blank for online.")
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(
        blank=True, help_text=_("Optional: shown to the member in the email about the decision.")
    )
    group = models.OneToOneField(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposal"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="group_proposal_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ThreadQuerySet(models.QuerySet["Thread"]):
    def visible(self) -> "ThreadQuerySet":
        return self.filter(is_hidden=False)

    def for_listing(self) -> "ThreadQuerySet":
        """Newest conversation first, with its author's name and its visible reply count."""
        return (
            self.select_related("author__profile")
            .annotate(
                post_total=models.Count("posts", filter=Q(posts__is_hidden=False)),
            )
            .order_by("-last_post_at", "-pk")
        )


class Thread(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="threads")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="group_threads",
    )
    title = models.CharField(_("title"), max_length=140)
    # Mirrors the opening post: a thread whose opening post is hidden is hidden.
    is_hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_post_at = models.DateTimeField(default=timezone.now)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-last_post_at"]
        indexes = [
            models.Index(fields=["group", "is_hidden", "-last_post_at"], name="thread_group_recent")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("groups:thread", kwargs={"slug": self.group.slug, "pk": self.pk})


class PostQuerySet(models.QuerySet["Post"]):
    def visible(self) -> "PostQuerySet":
        return self.filter(is_hidden=False)

    def for_thread(self) -> "PostQuerySet":
        return self.select_related("author__profile").order_by("created_at", "pk")

    def needs_review(self) -> "PostQuerySet":
        """Staff's queue: posts held by the spam checks, and posts with unresolved reports."""
        open_reports = PostReport.objects.filter(post=OuterRef("pk"), resolved_at__isnull=True)
        return self.filter(
            Q(is_hidden=True, hidden_reason=Post.HiddenReason.HELD, reviewed_at__isnull=True)
            | Q(Exists(open_reports))
        )


class Post(models.Model):
    """One message in a thread: the opening post or a reply."""

    MAX_LENGTH = 5000

    class HiddenReason(models.TextChoices):
        HELD = "held", _("held by the spam checks for review")
        REPORTED = "reported", _("hidden after several reports, for review")
        SPAM = "spam", _("spam")
        SELLING = "selling", _("hard selling")
        ABUSIVE = "abusive", _("abusive")
        OFF_TOPIC = "off_topic", _("off topic")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="group_posts",
    )
    body = models.TextField(_("message"), max_length=MAX_LENGTH)
    is_opening = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=16, choices=HiddenReason.choices, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the spam checks held it."),
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    # What the automatic checks found, for staff: e.g. "akismet", "selling".
    spam_flags = models.CharField(max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["thread"], condition=Q(is_opening=True), name="one_opening_post_per_thread"
            ),
            models.CheckConstraint(
                condition=Q(is_hidden=False) | ~Q(hidden_reason=""),
                name="hidden_post_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} in {self.thread_id}"


class PostForReview(Post):
    """The staff's review queue in the admin (`Post.objects.needs_review()`)."""

    class Meta:
        proxy = True
        verbose_name = _("post to review")
        verbose_name_plural = _("review queue")


class PostReport(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("spam")
        SELLING = "selling", _("hard selling")
        ABUSIVE = "abusive", _("abusive or unkind")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_reports"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["post", "reporter"], name="one_report_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} report on post {self.post_id}"


class ThreadFollow(models.Model):
    """A member asked to be emailed new replies to this thread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_follows"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="one_follow_per_thread"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.thread_id}"
