"""The way in: signing in lands on the home, a newcomer's checklist, and the path from the
profile to paying, each step leading to the next."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from billing.models import Membership
from groups.models import GroupMembership
from home.models import GroupPick
from home.services import group_pick, picked_groups_join
from members.models import Profile
from tests.events.factories import active_member
from tests.groups.factories import GroupFactory
from tests.home.factories import interests
from tests.members.factories import PASSWORD, UserFactory, make_active_member

pytestmark = pytest.mark.django_db

HOME = "/"
GROUPS = "/welcome/groups/"
STEPS = ["Your profile", "Your interests", "Groups for you", "Join Mutual"]


def newcomer(**profile):
    """Signed up and confirmed, as sign-up leaves them: a name, nothing else, not paid."""
    user = UserFactory()
    Profile.objects.filter(user=user).update(**{"headline": "", **profile})
    user.refresh_from_db()
    return user


def checklist_items(html: str) -> list[tuple[str, bool, str]]:
    """(title, done, the action's link) for each item of the checklist, in order."""
    items = re.findall(r'<li class="checklist-item([^"]*)">(.*?)</li>', html, flags=re.DOTALL)
    found = []
    for classes, body in items:
        title = re.search(r'<h2 class="checklist-title">([^<]+)</h2>', body)
        link = re.search(r'<a class="btn[^"]*" href="([^"]+)"', body)
        assert title is not None and link is not None
        found.append((title.group(1), "is-done" in classes, link.group(1)))
    return found


def step_indicator(html: str) -> list[tuple[str, bool, bool]]:
    """(title, done, current) for each step of the indicator, or [] if there is none."""
    steps = re.findall(
        r'<li class="onboarding-step([^"]*)">.*?<span class="onboarding-step-title">([^<]+)',
        html,
        flags=re.DOTALL,
    )
    return [(title, "is-done" in classes, "is-current" in classes) for classes, title in steps]


# --- Signing in --------------------------------------------------------------------------


def test_signing_in_lands_on_the_home(client):
    user = newcomer()

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == HOME


def test_signing_in_with_next_lands_there(client):
    user = active_member()

    response = client.post(
        reverse("account_login") + "?next=/events/mine/",
        {"login": user.email, "password": PASSWORD},
    )

    assert response["Location"] == "/events/mine/"


@override_settings(ANONYMOUS_PAGE_CACHE_SECONDS=60)
def test_someone_signed_in_never_gets_the_visitors_cached_page(client):
    from django.test import Client

    visitor = Client()
    assert "Join Mutual" in visitor.get(HOME).content.decode()
    cached = visitor.get(HOME)
    assert cached["X-Visitor-Cache"] == "hit"  # the public page is in the cache
    client.force_login(newcomer())

    response = client.get(HOME)

    assert "X-Visitor-Cache" not in response
    assert response.templates[0].name == "home/checklist.html"
    assert "private" in response["Cache-Control"]


def test_visitors_still_get_the_public_page(client):
    response = client.get(HOME)

    assert response.templates[0].name == "home.html"
    html = response.content.decode()
    assert "Edit your profile" not in html
    assert html.count(f'href="{reverse("account_signup")}"') >= 3


def test_the_public_page_never_offers_a_signed_in_persons_links(rf):
    """Only visitors see it, so it has no signed-in branch (such as "Edit your profile" on the
    price card) to drift from the signed-in home."""
    from django.template.loader import render_to_string

    request = rf.get(HOME)
    request.user = newcomer()

    html = render_to_string("home.html", {"interests": []}, request=request)

    assert "Edit your profile" not in html
    assert "Choose your interests" not in html
    assert html.count(f'href="{reverse("account_signup")}"') == 3


# --- The checklist -----------------------------------------------------------------------


def test_a_newcomer_sees_their_checklist_with_nothing_done(client):
    client.force_login(newcomer())

    html = client.get(HOME).content.decode()

    assert checklist_items(html) == [
        ("Your profile", False, "/settings/profile/"),
        ("Your interests", False, "/settings/interests/"),
        ("Groups for you", False, GROUPS),
        ("Join Mutual", False, "/join/"),
    ]
    # The first step not done is the one to do next.
    assert re.search(r'is-next">.*?Your profile', html, flags=re.DOTALL)


def test_the_checklist_shows_what_is_done(client):
    user = newcomer(headline="Bookkeeper for small charities")
    user.profile.interests.set(interests("marketing", "sales", "yoga"))
    client.force_login(user)

    html = client.get(HOME).content.decode()
    assert [(title, done) for title, done, _link in checklist_items(html)] == [
        ("Your profile", True),
        ("Your interests", True),
        ("Groups for you", False),
        ("Join Mutual", False),
    ]
    assert "3 picked" in html
    assert re.search(r'is-next">.*?Groups for you', html, flags=re.DOTALL)

    group_pick(user=user, group=GroupFactory())
    html = client.get(HOME).content.decode()
    assert [done for _title, done, _link in checklist_items(html)] == [True, True, True, False]
    assert "1 chosen" in html


def test_a_lapsed_member_is_welcomed_back_and_asked_to_rejoin(client):
    user = newcomer(headline="Runs a bakery")
    user.profile.interests.set(interests("marketing", "sales", "yoga"))
    make_active_member(user)
    Membership.objects.filter(user=user).update(status=Membership.Status.CANCELED)
    client.force_login(user)

    html = client.get(HOME).content.decode()

    assert "Welcome back" in html
    assert "Your membership has ended." in html
    assert checklist_items(html)[-1] == ("Rejoin Mutual", False, "/join/")
    assert "Rejoin for £" in html
    assert "Four steps to your first meeting" not in html


def test_two_interests_are_not_enough_to_tick_the_step(client):
    user = newcomer()
    user.profile.interests.set(interests("marketing", "sales"))
    client.force_login(user)

    [_profile, (title, done, _link), *_rest] = checklist_items(client.get(HOME).content.decode())

    assert (title, done) == ("Your interests", False)


# --- The path, step by step --------------------------------------------------------------


def test_each_step_of_the_way_in_leads_to_the_next(client):
    user = newcomer()
    group = GroupFactory(name="Leeds marketing circle", interests=interests("marketing"))
    client.force_login(user)

    profile = client.post(
        reverse("members:profile"),
        {
            "display_name": "Nia Newcomer",
            "handle": user.profile.handle,
            "headline": "Runs a bakery",
            "city": "Leeds",
        },
    )
    assert profile["Location"] == reverse("members:interests")

    picks = [str(i.pk) for i in interests("marketing", "sales", "yoga")]
    interests_saved = client.post(reverse("members:interests"), {"interests": picks})
    assert interests_saved["Location"] == GROUPS

    page = client.get(GROUPS).content.decode()
    assert "Leeds marketing circle" in page
    assert "You share: Marketing" in page
    chosen = client.post(reverse("home:group_choose", args=[group.slug]))
    assert chosen["Location"] == GROUPS
    assert GroupPick.objects.filter(user=user, group=group).exists()
    assert not GroupMembership.objects.filter(user=user).exists()  # not a member yet
    page = client.get(GROUPS).content.decode()
    assert re.search(r'<a class="btn btn-primary btn-lg" href="/join/">Next: join Mutual', page)

    join = client.get(reverse("billing:join")).content.decode()
    assert [(t, d) for t, d, _c in step_indicator(join)] == [
        ("Your profile", True),
        ("Your interests", True),
        ("Groups for you", True),
        ("Join Mutual", False),
    ]


def test_a_profile_saved_with_interests_already_goes_on_to_groups(client):
    user = newcomer()
    user.profile.interests.set(interests("marketing", "sales", "yoga"))
    client.force_login(user)

    response = client.post(
        reverse("members:profile"),
        {"display_name": "Nia", "handle": user.profile.handle, "headline": "Baker"},
    )

    assert response["Location"] == GROUPS


def test_a_member_saving_interests_goes_back_with_a_message_and_a_next_step(client):
    member = active_member()
    client.force_login(member)
    picks = [str(i.pk) for i in interests("marketing", "sales", "yoga")]

    response = client.post(reverse("members:interests"), {"interests": picks}, follow=True)

    assert response.redirect_chain == [("/settings/interests/#next", 302)]
    html = response.content.decode()
    assert "Your interests are saved" in html
    next_box = re.search(r'<section[^>]*id="next".*?</section>', html, flags=re.DOTALL).group(0)
    assert f'href="{GROUPS}"' in next_box
    assert 'href="/events/?order=for-you"' in next_box
    assert "Save interests" in html  # not "Save and continue": they're not on the way in
    assert step_indicator(html) == []


def test_the_step_indicator_marks_the_current_step_on_each_page(client):
    client.force_login(newcomer())

    for url, current in [
        (reverse("members:profile"), "Your profile"),
        (reverse("members:interests"), "Your interests"),
        (GROUPS, "Groups for you"),
        (reverse("billing:join"), "Join Mutual"),
    ]:
        steps = step_indicator(client.get(url).content.decode())
        assert [title for title, _done, _current in steps] == STEPS, url
        assert [title for title, _done, is_current in steps if is_current] == [current], url


def test_members_see_no_step_indicator_on_their_settings(client):
    client.force_login(active_member())

    for url in (reverse("members:profile"), reverse("members:interests"), GROUPS):
        assert step_indicator(client.get(url).content.decode()) == [], url


def test_a_member_joins_a_suggested_group_at_once(client):
    member = active_member()
    member.profile.interests.set(interests("marketing", "sales", "yoga"))
    group = GroupFactory(interests=interests("marketing"))
    client.force_login(member)

    response = client.post(reverse("home:group_choose", args=[group.slug]), follow=True)

    assert GroupMembership.objects.filter(user=member, group=group).exists()
    assert not GroupPick.objects.exists()
    assert f"Welcome to {group.name}!" in response.content.decode()
    assert 'href="/">Go to your home' in response.content.decode()


def test_a_newcomer_without_interests_is_asked_for_them_and_still_sees_groups(client):
    GroupFactory(name="Lively group")
    client.force_login(newcomer())

    html = client.get(GROUPS).content.decode()

    assert "Pick your interests and we'll put the groups that share them first" in html
    assert "Lively group" in html


def test_a_pick_can_be_taken_back(client):
    user = newcomer()
    group = GroupFactory()
    group_pick(user=user, group=group)
    client.force_login(user)
    assert "Your list" in client.get(GROUPS).content.decode()

    client.post(reverse("home:group_unchoose", args=[group.slug]))

    assert not GroupPick.objects.filter(user=user).exists()


def test_picking_twice_keeps_one_pick():
    user = newcomer()
    group = GroupFactory()

    assert group_pick(user=user, group=group) is True
    assert group_pick(user=user, group=group) is False
    assert GroupPick.objects.filter(user=user).count() == 1


def test_picked_groups_are_joined_once_the_newcomer_is_a_member():
    user = newcomer()
    first, second, joined_already = GroupFactory(), GroupFactory(), GroupFactory()
    for group in (first, second, joined_already):
        group_pick(user=user, group=group)
    make_active_member(user)
    user.refresh_from_db()
    GroupMembership.objects.create(group=joined_already, user=user)

    joined = picked_groups_join(user=user)

    assert joined == [first, second]
    assert set(GroupMembership.objects.filter(user=user).values_list("group", flat=True)) == {
        first.pk,
        second.pk,
        joined_already.pk,
    }
    first.refresh_from_db()
    assert first.member_count == 1
    assert not GroupPick.objects.filter(user=user).exists()
    assert picked_groups_join(user=user) == []  # pressing again changes nothing


def test_picks_wait_for_membership(client):
    user = newcomer()
    group_pick(user=user, group=GroupFactory())
    client.force_login(user)

    response = client.post(reverse("home:picks_join"))

    assert response["Location"] == reverse("billing:join")
    assert GroupPick.objects.filter(user=user).exists()


# --- After paying: what's next -----------------------------------------------------------


def test_whats_next_knows_what_is_done_and_never_asks_again(client):
    user = newcomer(headline="Runs a bakery")
    user.profile.interests.set(interests("marketing", "sales", "yoga"))
    first, second = GroupFactory(name="Bakers' breakfast"), GroupFactory(name="Leeds walkers")
    group_pick(user=user, group=first)
    group_pick(user=user, group=second)
    make_active_member(user)
    client.force_login(user)

    html = client.get(reverse("billing:join_success")).content.decode()

    assert "You're a member" in html
    assert "Done: 3 interests picked." in html
    assert "Pick your interests" not in html
    assert "Done: other members can see who you are." in html
    assert "Bakers&#x27; breakfast" in html and "Leeds walkers" in html
    assert f'action="{reverse("home:picks_join")}"' in html
    assert 'href="/">Go to your home' in html
    assert [done for _t, done, _c in step_indicator(html)] == [True, True, True, True]

    client.post(reverse("home:picks_join"))
    html = client.get(reverse("billing:join_success")).content.decode()
    assert "Done: you're in 2 groups." in html


def test_whats_next_asks_for_what_is_missing(client):
    user = newcomer()
    make_active_member(user)
    client.force_login(user)

    html = client.get(reverse("billing:join_success")).content.decode()

    assert 'href="/settings/interests/">Pick your interests' in html
    assert 'href="/settings/profile/">Finish your profile' in html
    assert f'href="{GROUPS}">Find groups for you' in html


def test_while_payment_is_confirming_the_page_waits(client):
    user = newcomer()
    Membership.objects.create(user=user, stripe_customer_id="cus_waiting")
    client.force_login(user)

    html = client.get(reverse("billing:join_success")).content.decode()

    assert "Confirming your payment" in html
    assert "checklist" not in html
