"""A member's optional photo: uploaded on the profile page, checked by core/images, shown only
where their profile may be seen, and gone from storage when replaced, removed or erased."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from billing.models import Membership
from members.models import Profile
from members.services.photos import profile_photo_remove
from privacy.services import account_delete
from tests.faces.conftest import give_photo, image_bytes, renditions_of, stored
from tests.groups.factories import GroupFactory, add_member, thread_with_opening
from tests.members.factories import UserFactory, make_active_member

pytestmark = pytest.mark.django_db

PROFILE = {
    "display_name": "Ann Example",
    "handle": "ann-example",
    "headline": "Bookkeeper for small charities",
    "city": "Leeds",
    "bio": "Happy to talk numbers over coffee.",
    "in_directory": "on",
}


@pytest.fixture
def member(client):
    user = UserFactory()
    make_active_member(user)
    client.force_login(user)
    return user


def upload(content: bytes, name: str = "me.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "image/jpeg")


def photo_img(body: str) -> str | None:
    match = re.search(r'<img class="avatar[^"]*"[^>]*>', body)
    return match.group(0) if match else None


def test_a_photo_uploaded_on_the_profile_page_is_stored_with_its_renditions(client, member):
    response = client.post(
        reverse("members:profile"), {**PROFILE, "photo": upload(image_bytes(size=(900, 600)))}
    )

    assert response.status_code == 302
    profile = Profile.objects.get(user=member)
    assert profile.photo.name.startswith("members/photos/")
    assert stored(profile.photo.name)
    assert all(stored(name) for name in renditions_of(profile.photo))
    page = client.get(profile.get_absolute_url()).content.decode()
    img = photo_img(page)
    assert img and profile.photo.srcset.split(",")[0].split()[0] in img


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a not really", "Upload the photo as a JPEG, PNG or WebP image"),
        (image_bytes("JPEG")[:200], "could not be read to the end"),
        (image_bytes("PNG", size=(4001, 20)), "it can be at most 4000 pixels on each side"),
        (image_bytes("PNG") + b"\0" * (5 * 1024 * 1024), "the most we accept is 5.0"),
    ],
)
def test_a_bad_photo_is_refused_clearly_and_the_rest_of_the_form_is_kept(
    client, member, content, message
):
    before = Profile.objects.values().get(user=member)

    response = client.post(reverse("members:profile"), {**PROFILE, "photo": upload(content)})

    assert response.status_code == 200
    body = response.content.decode().replace("\xa0", " ")
    assert message in body
    assert Profile.objects.values().get(user=member) == before  # nothing saved
    for value in (PROFILE["headline"], PROFILE["bio"], PROFILE["handle"]):
        assert value in body  # what they typed is still there
    assert photo_img(body) is None  # the refused file is never shown as their photo


def test_a_new_photo_replaces_the_old_one_and_its_files(
    client, member, django_capture_on_commit_callbacks
):
    old = give_photo(member.profile)
    old_renditions = renditions_of(member.profile.photo)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("members:profile"), {**PROFILE, "photo": upload(image_bytes())})

    new = Profile.objects.get(user=member).photo.name
    assert new != old and stored(new)
    assert not stored(old)
    assert not any(stored(name) for name in old_renditions)


def test_removing_the_photo_deletes_it_and_shows_the_initial_again(
    client, member, django_capture_on_commit_callbacks
):
    name = give_photo(member.profile)
    renditions = renditions_of(member.profile.photo)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("members:profile"), {**PROFILE, "remove_photo": "on"})

    profile = Profile.objects.get(user=member)
    assert profile.photo.name == ""
    assert not stored(name) and not any(stored(r) for r in renditions)
    assert photo_img(client.get(profile.get_absolute_url()).content.decode()) is None


def test_removing_and_uploading_at_once_is_refused(client, member):
    name = give_photo(member.profile)

    response = client.post(
        reverse("members:profile"),
        {**PROFILE, "remove_photo": "on", "photo": upload(image_bytes())},
    )

    assert "Choose a new photo or remove this one, not both." in response.content.decode()
    assert Profile.objects.get(user=member).photo.name == name and stored(name)


def test_the_service_removes_a_photo_once_the_change_commits(
    member, django_capture_on_commit_callbacks
):
    name = give_photo(member.profile)

    with django_capture_on_commit_callbacks() as callbacks:
        profile_photo_remove(profile=member.profile)
    assert stored(name)  # a rollback would keep the photo the profile still shows
    for callback in callbacks:
        callback()

    assert Profile.objects.get(user=member).photo.name == ""
    assert not stored(name)


def test_erasing_the_account_deletes_the_photo_and_its_renditions(
    django_capture_on_commit_callbacks,
):
    leaving = UserFactory()  # no subscription to cancel: the erasure itself is under test
    name = give_photo(leaving.profile)
    renditions = renditions_of(leaving.profile.photo)

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=leaving)

    assert not stored(name)
    assert not any(stored(r) for r in renditions)


# --- Where a photo shows: where the profile itself may be seen -------------------------------


@pytest.fixture
def thread_page(client, member):
    """A group discussion with a post by `author`, read by the signed-in `member`."""
    group = GroupFactory()
    add_member(group, member)
    author = UserFactory()
    make_active_member(author)
    add_member(group, author)
    give_photo(author.profile)
    thread = thread_with_opening(group, author)
    return author, reverse("groups:thread", kwargs={"slug": group.slug, "pk": thread.pk})


def test_a_listed_members_photo_shows_to_members(client, thread_page):
    _author, url = thread_page

    img = photo_img(client.get(url).content.decode())

    assert img and "renditions/" in img


def test_an_unlisted_members_photo_never_shows_to_others(client, thread_page):
    author, url = thread_page
    Profile.objects.filter(user=author).update(in_directory=False)

    body = client.get(url).content.decode()

    assert photo_img(body) is None
    assert author.profile.photo.name not in body


def test_a_lapsed_member_sees_no_photos(client, member, thread_page):
    author, _url = thread_page
    from members.models import IntroRequest

    IntroRequest.objects.create(sender=author, recipient=member, note="Coffee?")
    assert photo_img(client.get(reverse("members:intros")).content.decode())

    Membership.objects.filter(user=member).update(status=Membership.Status.CANCELED)

    body = client.get(reverse("members:intros")).content.decode()
    assert photo_img(body) is None
    assert author.profile.photo.name not in body


def test_members_see_their_own_photo_even_when_unlisted(client, member):
    give_photo(member.profile)
    Profile.objects.filter(user=member).update(in_directory=False)

    assert photo_img(client.get(reverse("members:profile")).content.decode())
    assert photo_img(client.get(member.profile.get_absolute_url()).content.decode())


def test_the_data_download_includes_the_photo_and_the_choice(client, member):
    give_photo(member.profile)

    data = client.get(reverse("privacy:export")).json()

    assert data["profile"]["photo"] == member.profile.photo.url
    assert data["profile"]["shown_on_whos_going_lists"] is True  # listed, so shown


@pytest.mark.parametrize("size", [(4032, 3024), (3024, 4032), (8064, 6048)])
def test_a_phone_sized_jpeg_is_taken_and_made_smaller(client, member, size):
    """Phones save JPEGs 4032 pixels wide and more: they are decoded at a smaller scale and
    kept within the 4000-pixel limit instead of being refused."""
    response = client.post(
        reverse("members:profile"), {**PROFILE, "photo": upload(image_bytes(size=size))}
    )

    assert response.status_code == 302
    profile = Profile.objects.get(user=member)
    with profile.photo.open("rb") as stored_file:
        kept = Image.open(stored_file).size
    assert max(kept) <= 4000
    assert kept[0] / kept[1] == pytest.approx(size[0] / size[1], rel=0.01)
