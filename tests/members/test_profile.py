import re

import pytest
from django.urls import reverse

from members.models import Interest, Profile
from tests.members.factories import ProfileFactory, UserFactory, interests, make_active_member

pytestmark = pytest.mark.django_db

VALID_PROFILE = {
    "display_name": "Ann Example",
    "handle": "ann-example",
    "headline": "Bookkeeper for small charities",
    "city": "Leeds",
    "bio": "Happy to talk numbers over coffee.",
    "website": "https://ann.example.org",
    "open_to_coffee": "on",
    "in_directory": "on",
}


@pytest.fixture
def member(client):
    user = UserFactory()
    make_active_member(user)
    client.force_login(user)
    return user


def test_profile_pages_need_a_signed_in_user(client):
    for name in ("members:profile", "members:interests"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_saving_a_profile(client, member):
    response = client.post(reverse("members:profile"), VALID_PROFILE)

    assert response.status_code == 302
    profile = Profile.objects.get(user=member)
    assert profile.handle == "ann-example"
    assert profile.headline == "Bookkeeper for small charities"
    assert profile.open_to == ["coffee chats"]


def test_a_profile_without_interests_is_sent_on_to_pick_them(client, member):
    response = client.post(reverse("members:profile"), VALID_PROFILE)

    assert response["Location"] == reverse("members:interests")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"handle": "Not valid!"}, "lower-case letters, digits and hyphens"),
        ({"handle": "ab"}, "lower-case letters, digits and hyphens"),
        ({"website": "not a url"}, "Enter a valid URL"),
        ({"display_name": "   "}, "This field is required"),
        ({"headline": "x" * 121}, "at most 120 characters"),
    ],
)
def test_bad_profile_input_gets_a_clear_message_and_changes_nothing(
    client, member, change, message
):
    before = Profile.objects.values().get(user=member)

    response = client.post(reverse("members:profile"), {**VALID_PROFILE, **change})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Profile.objects.values().get(user=member) == before
    # What the member typed is still in the form.
    assert VALID_PROFILE["bio"] in response.content.decode()


def test_a_handle_taken_by_someone_else_is_refused(client, member):
    ProfileFactory(handle="ann-example")

    response = client.post(reverse("members:profile"), VALID_PROFILE)

    assert response.status_code == 200
    assert "That handle is taken" in response.content.decode()


def test_picking_interests(client, member):
    picked = interests(4)

    response = client.post(reverse("members:interests"), {"interests": [i.pk for i in picked]})

    assert response.status_code == 302
    assert set(member.profile.interests.all()) == set(picked)


@pytest.mark.parametrize(
    ("count", "message"), [(2, "at least 3"), (16, "at most 15"), (0, "at least 3")]
)
def test_too_few_or_too_many_interests_are_refused_and_change_nothing(
    client, member, count, message
):
    member.profile.interests.set(interests(5))

    response = client.post(
        reverse("members:interests"),
        {"interests": [i.pk for i in Interest.objects.order_by("-pk")[:count]]},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert set(member.profile.interests.all()) == set(interests(5))


def test_an_unknown_interest_is_refused(client, member):
    response = client.post(reverse("members:interests"), {"interests": [999_999]})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_interest_taxonomy_is_seeded_across_both_categories():
    assert Interest.objects.count() >= 30
    assert set(Interest.objects.values_list("category", flat=True)) == {"business", "wellbeing"}
    assert Interest.objects.filter(slug="marketing").exists()
    assert Interest.objects.filter(slug="mindfulness").exists()


def test_no_page_shows_another_members_email(client, member):
    other = UserFactory(email="private.person@example.org")
    other.profile.interests.set(interests(3))

    pages = [
        reverse("home"),
        reverse("members:detail", kwargs={"handle": other.profile.handle}),
        reverse("members:profile"),
        reverse("members:interests"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "private.person@example.org" not in response.content.decode(), url


def test_a_member_hidden_from_the_directory_has_no_public_profile(client, member):
    hidden = ProfileFactory(in_directory=False)

    response = client.get(reverse("members:detail", kwargs={"handle": hidden.handle}))

    assert response.status_code == 404


def test_the_directory_is_an_unticked_opt_in_on_the_profile_settings(client):
    from members.services import profile_create

    user = UserFactory(with_profile=False)
    profile_create(user=user, display_name="Ann Example")
    client.force_login(user)

    body = client.get(reverse("members:profile")).content.decode()

    checkbox = re.search(r'<input[^>]*name="in_directory"[^>]*>', body).group(0)
    assert "checked" not in checkbox
    assert "Show me in the member directory" in body
    assert "Off until you tick it" in body

    client.post(reverse("members:profile"), {**VALID_PROFILE, "in_directory": "on"})
    assert Profile.objects.get(user=user).in_directory


def test_existing_handles_and_names_made_from_the_email_address_are_replaced():
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "members.migrations.0010_profiles_forget_email_derived_names"
    )
    derived = ProfileFactory(
        user=UserFactory(email="j.smith1987@example.org", with_profile=False),
        handle="j-smith1987-4821",
        display_name="J Smith1987",
    )
    chosen = ProfileFactory(
        user=UserFactory(email="ann@example.org", with_profile=False),
        handle="ann-baker",
        display_name="Ann Baker",
    )

    migration.forget_email_derived(apps, None)

    derived.refresh_from_db()
    chosen.refresh_from_db()
    assert re.fullmatch(r"member-[0-9a-f]{6}", derived.handle)
    assert derived.display_name == "New member"
    assert (chosen.handle, chosen.display_name) == ("ann-baker", "Ann Baker")
