"""'Who's going' on an event's page: everyone sees how many; active members see the faces of
those who chose to be shown, in one query whatever the number going."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from billing.models import Membership
from events import selectors
from events.services.rsvp import rsvp_respond
from members.models import Profile
from tests.events.factories import EventFactory, active_member
from tests.faces.conftest import give_photo

pytestmark = pytest.mark.django_db


def going(event, *, name: str, in_directory: bool = True, show_attending=None, photo=False):
    user = active_member()
    Profile.objects.filter(user=user).update(
        display_name=name, in_directory=in_directory, show_attending=show_attending
    )
    if photo:
        give_photo(Profile.objects.get(user=user))
    rsvp_respond(event=event, member=user, response="yes")
    return user


@pytest.fixture
def event():
    return EventFactory()


@pytest.fixture
def crowd(event):
    """Five people going: three who may be shown, two who may not."""
    going(event, name="Listed Lou")  # follows the directory: listed, so shown
    going(event, name="Yes Yusuf", in_directory=False, show_attending=True)
    going(event, name="Pictured Pam", photo=True)
    going(event, name="Unlisted Una", in_directory=False)  # follows the directory: not shown
    going(event, name="No Nadia", show_attending=False)  # listed, but said no
    return event


def test_members_see_only_those_who_chose_to_be_shown(client, crowd):
    viewer = active_member()
    client.force_login(viewer)

    body = client.get(crowd.get_absolute_url()).content.decode()

    assert "5 people are going" in body
    for shown in ("Listed Lou", "Yes Yusuf", "Pictured Pam"):
        assert shown in body
    for hidden in ("Unlisted Una", "No Nadia"):
        assert hidden not in body
    assert "and 2 others" in body
    pam = Profile.objects.get(display_name="Pictured Pam")
    assert pam.photo.srcset in body


def test_visitors_see_the_count_and_no_names(client, crowd):
    body = client.get(crowd.get_absolute_url()).content.decode()

    assert "5 people are going" in body
    assert "Members can see who's going." in body
    for name in ("Listed Lou", "Yes Yusuf", "Pictured Pam"):
        assert name not in body
    assert "renditions/" not in body


def test_lapsed_members_see_the_count_and_no_names(client, crowd):
    lapsed = active_member()
    Membership.objects.filter(user=lapsed).update(status=Membership.Status.CANCELED)
    client.force_login(lapsed)

    body = client.get(crowd.get_absolute_url()).content.decode()

    assert "5 people are going" in body
    assert "Listed Lou" not in body and "Pictured Pam" not in body


def test_deactivated_accounts_are_not_shown(crowd):
    lou = Profile.objects.get(display_name="Listed Lou")
    type(lou.user).objects.filter(pk=lou.user_id).update(is_active=False)
    crowd.refresh_from_db()

    box = selectors.whos_going(event=crowd, viewer=active_member())

    assert "Listed Lou" not in [p.display_name for p in box.faces]


def test_nobody_going_shows_no_box(client, event):
    client.force_login(active_member())

    assert "Who's going" not in client.get(event.get_absolute_url()).content.decode()


def test_the_faces_are_capped_and_the_rest_counted(event):
    for n in range(selectors.WHOS_GOING_FACES + 3):
        going(event, name=f"Person {n:02d}")
    event.refresh_from_db()

    box = selectors.whos_going(event=event, viewer=active_member())

    assert [p.display_name for p in box.faces] == [
        f"Person {n:02d}" for n in range(selectors.WHOS_GOING_FACES)
    ]  # first to reply first
    assert box.others == 3


def test_visitors_cost_no_query(event, django_assert_num_queries):
    going(event, name="Someone")
    event.refresh_from_db()

    with django_assert_num_queries(0):
        box = selectors.whos_going(event=event, viewer=AnonymousUser())

    assert (box.count, box.faces, box.shows_faces) == (1, [], False)


@pytest.mark.parametrize("count", [5, 50])
def test_the_box_costs_one_query_at_5_and_50_going(event, count, django_assert_num_queries):
    for n in range(count):
        going(event, name=f"Person {n:02d}", photo=n < 3)
    event.refresh_from_db()
    viewer = active_member()
    viewer.membership  # noqa: B018 - loaded as the page's own check loads it

    with django_assert_num_queries(1):
        box = selectors.whos_going(event=event, viewer=viewer)
        names = [profile.display_name for profile in box.faces]
        photos = [profile.photo.srcset for profile in box.faces]

    assert len(names) == min(count, selectors.WHOS_GOING_FACES) and any(photos)


@pytest.mark.parametrize("count", [5, 50])
def test_the_event_page_costs_the_same_at_5_and_50_going(
    client, event, count, django_assert_num_queries
):
    for n in range(count):
        going(event, name=f"Person {n:02d}", photo=n < 3)
    viewer = active_member()
    client.force_login(viewer)

    # event, speakers, interests, session, user (with membership and profile), the viewer's
    # reply, who's going (no group, so no organisers)
    with django_assert_num_queries(7):
        response = client.get(event.get_absolute_url())

    assert f"{count} people are going" in response.content.decode()


def test_the_profile_form_offers_the_choice(client):
    member = active_member()
    client.force_login(member)

    response = client.post(
        reverse("members:profile"),
        {"display_name": "Ann", "handle": "ann-going", "show_attending": "False"},
    )

    assert response.status_code == 302
    profile = Profile.objects.get(user=member)
    assert profile.show_attending is False and not profile.shows_attending


def test_a_cancelled_event_shows_no_box(client, crowd):
    type(crowd).objects.filter(pk=crowd.pk).update(is_cancelled=True, cancelled_at=crowd.starts_at)
    client.force_login(active_member())

    body = client.get(crowd.get_absolute_url()).content.decode()

    assert "people are going" not in body and "Listed Lou" not in body
