"""The small demo (`make run`): a network where members pay, organise, talk and introduce
themselves, with every standing on show and Stripe ids the offline stand-in knows."""

import io
import re
import urllib.request
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from billing import stripe_api
from billing.models import Membership, Standing
from billing.selectors import standing_of
from discounts.models import Partner, Redemption
from events.models import RSVP, Event
from events.selectors import can_manage
from experts.models import ExpertRequest
from groups import demo as groups_demo
from groups.models import Group, GroupMembership, Post, Thread
from mail.models import ConsentEvent, StreamSubscription
from members.models import IntroRequest, Profile, User

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-password-123"  # pragma: allowlist secret


def seed(**options) -> str:
    out = io.StringIO()
    options.setdefault("no_images", True)  # drawn in one test below: they take seconds
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def member(number: int) -> User:
    return User.objects.get(email=f"member{number:06d}@example.com")


def demo_members() -> list[User]:
    return list(
        User.objects.filter(email__startswith="member").select_related("membership", "profile")
    )


def test_most_demo_members_pay_a_couple_lapsed_and_a_couple_never_joined():
    seed()

    standings = Counter(standing_of(user) for user in demo_members())
    assert standings == {Standing.MEMBER: 36, Standing.LAPSED: 2, Standing.NEVER_JOINED: 2}
    assert standing_of(member(1)) == Standing.MEMBER
    assert {standing_of(member(n)) for n in (37, 38)} == {Standing.LAPSED}
    assert not Membership.objects.filter(user__in=[member(39), member(40)]).exists()
    # One of each other state a member's billing page can show.
    assert member(35).membership.status == "past_due" and member(35).membership.is_active()
    assert member(36).membership.cancel_at_period_end
    # Every membership names the Stripe customer and subscription the stand-in puts back.
    for membership in Membership.objects.select_related("user"):
        number = membership.user.email[6:12]
        assert membership.stripe_customer_id == f"cus_demo{number}"
        assert membership.stripe_subscription_id == f"sub_demo{number}"


def test_every_group_is_run_by_paying_organisers_who_manage_its_events():
    seed()

    for group in Group.objects.all():
        organisers = [m.user for m in group.memberships.organisers().select_related("user")]
        assert 1 <= len(organisers) <= 2, group.name
        assert all(standing_of(user) == Standing.MEMBER for user in organisers), group.name
        for event in Event.objects.filter(group=group):
            assert all(can_manage(user=user, event=event) for user in organisers)
    leeds = Group.objects.get(slug="leeds-marketing-breakfast")
    assert member(2) in [m.user for m in leeds.memberships.organisers()]
    assert Event.objects.filter(group=leeds, starts_at__gt=timezone.now()).exists()
    # Organisers go to their own group's events.
    for event in Event.objects.filter(group=leeds):
        assert RSVP.objects.filter(event=event, member=member(2), status="confirmed").exists()
    # Nobody who isn't a member now is in a group or has replied to an event.
    outsiders = [member(n) for n in (37, 38, 39, 40)]
    assert not GroupMembership.objects.filter(user__in=outsiders).exists()
    assert not RSVP.objects.filter(member__in=outsiders).exists()


def test_an_introduction_waits_for_member000001_and_others_were_answered():
    seed()

    waiting = IntroRequest.objects.get(recipient=member(1), status="pending")
    assert standing_of(waiting.sender) == Standing.MEMBER
    assert waiting.sender.profile.display_name.split()[0] in waiting.note
    assert member(1).profile.display_name.split()[0] in waiting.note
    accepted = IntroRequest.objects.filter(status="accepted").involving(member(1)).get()
    assert accepted.sender_contact and accepted.recipient_contact
    assert IntroRequest.objects.filter(sender=member(1), status="pending").exists()
    assert IntroRequest.objects.filter(status="declined").exists()


def test_a_groups_description_names_the_day_time_and_place_of_its_events():
    seed()

    table = groups_demo.by_slug(Group.objects.count())
    group_events = Event.objects.filter(group__isnull=False).select_related("group")
    assert group_events.count() >= 12
    assert Group.objects.annotate(n=Count("events")).filter(n=0).count() == 0
    for event in group_events:
        details = event.group.details
        starts = timezone.localtime(event.starts_at)
        assert f"{starts:%A}s" in details, (event.slug, details)
        assert event.venue_name.lower() in details.lower(), (event.slug, details)
        assert event.venue_address in details, (event.slug, details)
        meeting = table[event.group.slug].meeting
        assert (starts.hour, starts.minute) == (meeting.hour, meeting.minute)
        assert meeting.times in details
    # No two events of one group on the same day.
    days = Counter((e.group_id, timezone.localtime(e.starts_at).date()) for e in group_events)
    assert max(days.values()) == 1


def test_names_and_conversations_are_varied():
    seed()

    names = list(
        Profile.objects.filter(user__email__startswith="member").values_list(
            "display_name", flat=True
        )
    )
    assert len(set(names)) == len(names) == 40
    assert len({name.split()[-1] for name in names}) >= 15
    assert len(set(Thread.objects.values_list("title", flat=True))) >= 8
    assert len(set(Post.objects.values_list("body", flat=True))) >= 30
    # Most choose to be listed in the directory (off by default), and the directory shows them.
    listed = Profile.objects.filter(user__email__startswith="member", in_directory=True)
    assert 30 <= listed.count() < 40


def test_member000001_has_a_life_on_the_site(client):
    seed()
    home = member(1)

    assert home.group_memberships.count() >= 4
    upcoming = RSVP.objects.filter(member=home, event__starts_at__gt=timezone.now())
    assert upcoming.filter(status="confirmed").exists()
    assert upcoming.filter(status="waitlisted", waitlist_ticket=1).exists()
    codes = Redemption.objects.filter(member=home).select_related("code")
    assert codes.count() == 2 and any(r.used_at for r in codes)
    assert Redemption.objects.exclude(member=home).count() >= 10
    assert set(ExpertRequest.objects.values_list("status", flat=True)) == set(
        ExpertRequest.Status.values
    )
    assert ExpertRequest.objects.filter(member=home).count() == 2
    digest = StreamSubscription.objects.get(user=home, stream="digest")
    assert digest.status == "subscribed" and digest.confirmed_at
    assert ConsentEvent.objects.filter(user=home, stream="digest").count() == 2
    assert StreamSubscription.objects.filter(stream="digest").count() >= 10

    assert client.login(email=home.email, password=DEMO_PASSWORD)
    directory = client.get(reverse("members:directory")).content.decode()
    assert directory.count('href="/members/') >= 20
    intros = client.get(reverse("members:intros")).content.decode()
    assert "Waiting for a reply" in intros


def test_running_it_again_adds_nothing():
    seed()
    tables = [User, Membership, Group, GroupMembership, Thread, Post, Event, RSVP]
    tables += [IntroRequest, Redemption, ExpertRequest, StreamSubscription, ConsentEvent]
    counts = {model.__name__: model.objects.count() for model in tables}

    out = seed()

    assert {model.__name__: model.objects.count() for model in tables} == counts
    assert "0 new members" in out


def test_the_standin_knows_every_demo_subscription_so_billing_and_the_portal_work(
    client, stripe_standin
):
    from devtools.management.commands.stripe_standin import known_memberships

    seed()
    known = known_memberships()
    assert len(known) == Membership.objects.count() == 38

    restored = stripe_standin.call(
        stripe_standin.module.restore, known, price_id=stripe_standin.price_id
    )

    assert restored == 38
    assert (
        stripe_standin.call(stripe_standin.module.restore, known, price_id=stripe_standin.price_id)
        == 0
    )  # a second start-up finds them there
    for membership in Membership.objects.all():
        state = stripe_api.subscription_retrieve(membership.stripe_subscription_id)
        assert state.customer_id == membership.stripe_customer_id
        assert state.status == membership.status
        assert state.cancel_at_period_end == membership.cancel_at_period_end
        # A month after some day: the 31st of a month can come out as the 30th, and so on.
        gap = abs(state.current_period_end - membership.current_period_end)
        assert gap.total_seconds() < 3 * 24 * 3600

    assert client.login(email="member000001@example.com", password=DEMO_PASSWORD)
    billing = client.get(reverse("billing:detail")).content.decode()
    assert re.search(r"Status</dt>\s*<dd[^>]*>Active</dd>", billing)
    assert "member-badge" in billing
    response = client.post(reverse("billing:portal"))
    assert response.status_code == 303
    assert response["Location"].startswith(f"{stripe_standin.base_url}/portal/")
    with urllib.request.urlopen(response["Location"], timeout=5) as portal:
        page = portal.read().decode()
    assert "active" in page
    assert "Cancel at the end of the period" in page


def test_the_demo_draws_covers_and_logos_once():
    seed(no_images=False)

    assert Group.objects.exclude(cover="").exists()
    assert Partner.objects.exclude(logo="").count() == Partner.objects.count() > 0
    covers = set(Group.objects.exclude(cover="").values_list("cover", flat=True))
    seed(no_images=False)
    assert set(Group.objects.exclude(cover="").values_list("cover", flat=True)) == covers
