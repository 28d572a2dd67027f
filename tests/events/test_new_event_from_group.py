"""An organiser starts a new event from the page of the group they organise: the link is
there for them (and only them), and the event form opens with that group chosen."""

import pytest
from django.urls import reverse

from groups.models import GroupMembership
from tests.events.factories import GroupFactory, organiser_of

pytestmark = pytest.mark.django_db

NEW_EVENT = "New event"


def group_page(client, group) -> str:
    return client.get(reverse("groups:detail", kwargs={"slug": group.slug})).content.decode()


def new_event_url(group) -> str:
    return f"{reverse('events:create')}?group={group.slug}"


def test_an_organiser_finds_new_event_on_their_group_s_page(client, group, organiser):
    client.force_login(organiser)

    body = group_page(client, group)

    assert NEW_EVENT in body
    assert new_event_url(group) in body


def test_an_organiser_of_another_group_and_a_member_do_not(client, group, member):
    other = GroupFactory()
    client.force_login(organiser_of(other))
    assert NEW_EVENT not in group_page(client, group)

    GroupMembership.objects.create(group=group, user=member)
    client.force_login(member)
    assert NEW_EVENT not in group_page(client, group)


def test_a_lapsed_organiser_is_not_offered_it(client, group, lapsed):
    GroupMembership.objects.create(group=group, user=lapsed, role=GroupMembership.Role.ORGANISER)
    client.force_login(lapsed)

    assert NEW_EVENT not in group_page(client, group)


def test_the_event_form_opens_with_the_group_chosen(client, group, organiser):
    first = GroupFactory(name="Aardvark Club", city="York")  # first in the list otherwise
    GroupMembership.objects.create(group=first, user=organiser, role=GroupMembership.Role.ORGANISER)
    client.force_login(organiser)

    form = client.get(new_event_url(group)).context["form"]

    assert form["group"].value() == group.pk
    assert form["city"].value() == group.city


def test_a_group_they_do_not_organise_is_not_chosen(client, group, organiser):
    stranger = GroupFactory()
    client.force_login(organiser)

    form = client.get(new_event_url(stranger)).context["form"]

    assert form["group"].value() is None
    assert not form["city"].value()
