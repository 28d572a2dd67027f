"""The member directory and consent-first introductions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Membership
from members.models import Interest, IntroRequest
from tests.conftest import message_text
from tests.members.factories import UserFactory, interests, make_active_member

pytestmark = pytest.mark.django_db


def active(**profile):
    user = UserFactory()
    make_active_member(user)
    for name, value in profile.items():
        if name == "interests":
            user.profile.interests.set(value)
        else:
            setattr(user.profile, name, value)
    user.profile.save()
    return user


def by_slug(*slugs):
    return list(Interest.objects.filter(slug__in=slugs))


@pytest.fixture
def me(client):
    user = active(interests=by_slug("marketing", "mindfulness", "yoga"))
    client.force_login(user)
    return user


def test_the_directory_is_for_active_members_only(client):
    assert client.get(reverse("members:directory")).status_code == 302
    lapsed = UserFactory()
    client.force_login(lapsed)
    assert client.get(reverse("members:directory"))["Location"] == reverse("billing:join")


def test_people_who_share_most_interests_come_first_with_the_reason(client, me):
    both = active(display_name="Both Shared", interests=by_slug("marketing", "mindfulness"))
    one = active(display_name="One Shared", interests=by_slug("yoga", "sales"))
    none = active(display_name="None Shared", interests=by_slug("sales", "exporting"))

    response = client.get(reverse("members:directory"))

    names = [p.display_name for p in response.context["page"].object_list]
    assert names == ["Both Shared", "One Shared", "None Shared"]
    body = response.content.decode()
    assert "Marketing, Mindfulness" in body
    assert me.profile.display_name not in names
    for user in (both, one, none):
        assert user.email not in body


def test_hidden_and_lapsed_members_never_appear(client, me):
    active(display_name="Hidden Person", in_directory=False)
    lapsed = UserFactory()
    lapsed.profile.display_name = "Lapsed Person"
    lapsed.profile.save()

    body = client.get(reverse("members:directory")).content.decode()

    assert "Hidden Person" not in body
    assert "Lapsed Person" not in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "bakery"}, {"Baker"}),
        ({"interest": "sales"}, {"Seller"}),
        ({"city": "york"}, {"Baker"}),
        ({"open_to": "mentoring"}, {"Seller"}),
    ],
)
def test_search_and_filters(client, me, params, expected):
    active(display_name="Baker", headline="Runs a bakery", city="York")
    active(display_name="Seller", interests=by_slug("sales"), open_to_mentoring=True)

    response = client.get(reverse("members:directory"), params)

    assert {p.display_name for p in response.context["page"].object_list} == expected


@pytest.mark.parametrize("rows", [5, 50])
def test_the_directory_query_count_does_not_grow_with_rows(
    client, me, rows, django_assert_num_queries
):
    for _ in range(rows):
        active(interests=interests(4))

    # session, user (with membership and profile), viewer's interests, the ranking (the
    # profiles sharing most, which of them may appear), the page, its interests, the
    # interest menu. No count of the directory.
    with django_assert_num_queries(8):
        response = client.get(reverse("members:directory"))
    assert len(response.context["page"].object_list) == min(rows, 24)
    # The ranking is kept while the member pages through it.
    with django_assert_num_queries(6):
        client.get(reverse("members:directory"), {"page": 1})


def names_on(client, **params) -> list[str]:
    response = client.get(reverse("members:directory"), params)
    return [p.display_name for p in response.context["page"].object_list]


def test_pages_go_by_shared_interests_then_join_order_with_next_and_previous(client, me):
    mine = by_slug("marketing", "mindfulness", "yoga")
    other = by_slug("sales", "exporting")
    made = []
    for n in range(30):
        shared = mine[: n % 4]  # 0 to 3 of my interests
        made.append(active(display_name=f"Person {n:02d}", interests=[*shared, *other]))
    expected = [
        u.profile.display_name
        for u in sorted(made, key=lambda u: (-(made.index(u) % 4), u.profile.pk))
    ]

    first = client.get(reverse("members:directory"))
    second = client.get(reverse("members:directory"), {"page": 2})

    shown = [p.display_name for p in first.context["page"].object_list]
    shown += [p.display_name for p in second.context["page"].object_list]
    assert shown == expected  # every member once, most shared first, then by joining
    assert 'href="?page=2" rel="next"' in first.content.decode()
    assert "Previous" not in first.content.decode()
    assert 'href="?page=1" rel="prev"' in second.content.decode()
    assert 'rel="next"' not in second.content.decode()
    assert client.get(reverse("members:directory"), {"page": "x"}).status_code == 200
    assert names_on(client, page=3) == []


def test_after_the_ranked_best_matches_everyone_else_follows_once(client, me, monkeypatch):
    monkeypatch.setattr("members.selectors.DIRECTORY_RANKED_MAX", 3)
    monkeypatch.setattr("members.selectors.DIRECTORY_CANDIDATES", 5)
    mine = by_slug("marketing", "mindfulness", "yoga")
    for n in range(8):
        active(display_name=f"Person {n}", interests=mine[: 1 + n % 3])

    names = names_on(client)

    # The 3 best (sharing all three: 2, 5, then one sharing two: 1), then the rest by joining.
    assert names[:3] == ["Person 2", "Person 5", "Person 1"]
    assert names[3:] == [f"Person {n}" for n in (0, 3, 4, 6, 7)]


def test_who_may_appear_is_checked_on_every_page_even_with_a_kept_ranking(client, me):
    mine = by_slug("marketing", "mindfulness", "yoga")
    hider = active(display_name="Soon Hidden", interests=mine)
    leaver = active(display_name="Soon Lapsed", interests=mine)
    active(display_name="Stays", interests=mine)
    assert names_on(client) == ["Soon Hidden", "Soon Lapsed", "Stays"]

    hider.profile.in_directory = False
    hider.profile.save()
    leaver.membership.status = Membership.Status.CANCELED
    leaver.membership.save()
    active(display_name="Newcomer", interests=mine)

    # The ranking is still the kept one; the newcomer follows it until it is made again.
    assert names_on(client) == ["Stays", "Newcomer"]


def test_filters_rank_what_they_find(client, me):
    active(display_name="York, one shared", city="York", interests=by_slug("yoga"))
    active(display_name="York, two shared", city="York", interests=by_slug("yoga", "marketing"))
    active(display_name="York, none shared", city="York", interests=by_slug("sales"))
    active(display_name="Leeds, all shared", interests=by_slug("yoga", "marketing", "mindfulness"))

    assert names_on(client, city="york") == [
        "York, two shared",
        "York, one shared",
        "York, none shared",
    ]


# --- Introductions ---------------------------------------------------------------------------


def ask(client, handle, note="Hello! I'd love to swap notes on marketing.", contact="07700 900123"):
    return client.post(
        reverse("members:intro_request", kwargs={"handle": handle}),
        {"note": note, "sender_contact": contact},
    )


def test_contact_details_are_shared_only_when_the_other_person_accepts(
    client, me, smtp_server, django_capture_on_commit_callbacks
):
    them = active(display_name="Bea")

    with django_capture_on_commit_callbacks(execute=True):
        assert ask(client, them.profile.handle).status_code == 302
    intro = IntroRequest.objects.get()
    [email] = smtp_server.to(them.email)
    assert "would like to be introduced" in email["Subject"]
    assert email["List-Unsubscribe"]  # the intro_requests stream
    assert "07700 900123" not in message_text(email)

    client.force_login(them)
    body = client.get(reverse("members:intros")).content.decode()
    assert "07700 900123" not in body

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("members:intro_answer", kwargs={"pk": intro.pk, "answer": "accept"}),
            {"recipient_contact": "bea@bea.example"},
        )
    assert "07700 900123" in client.get(reverse("members:intros")).content.decode()
    client.force_login(me)
    assert "bea@bea.example" in client.get(reverse("members:intros")).content.decode()
    assert len(smtp_server.to(me.email)) == 1  # "Bea accepted your introduction"


def test_a_declined_request_cannot_be_repeated_for_90_days(client, me):
    them = active()
    ask(client, them.profile.handle)
    intro = IntroRequest.objects.get()
    intro.status = "declined"
    intro.responded_at = timezone.now() - timedelta(days=89)
    intro.save()

    response = ask(client, them.profile.handle)

    assert response.status_code == 200
    assert "declined an introduction in the last 90 days" in response.content.decode()
    intro.responded_at = timezone.now() - timedelta(days=91)
    intro.save()
    assert ask(client, them.profile.handle).status_code == 302
    assert IntroRequest.objects.count() == 2


def test_at_most_ten_requests_a_day(client, me):
    people = [active() for _ in range(11)]
    for person in people[:10]:
        assert ask(client, person.profile.handle).status_code == 302

    response = ask(client, people[10].profile.handle)

    assert "10 introductions a day" in response.content.decode()
    assert IntroRequest.objects.count() == 10


def test_asking_twice_keeps_one_open_request(client, me):
    them = active()
    ask(client, them.profile.handle)
    ask(client, them.profile.handle)

    assert IntroRequest.objects.count() == 1


def test_only_the_recipient_answers_and_other_members_intros_are_404(client, me):
    them, stranger = active(), active()
    ask(client, them.profile.handle)
    intro = IntroRequest.objects.get()

    client.force_login(stranger)
    url = reverse("members:intro_answer", kwargs={"pk": intro.pk, "answer": "accept"})
    assert client.post(url, {"recipient_contact": "x"}).status_code == 404
    withdraw = reverse("members:intro_withdraw", kwargs={"pk": intro.pk})
    assert client.post(withdraw).status_code == 404
    intro.refresh_from_db()
    assert intro.status == "pending"


def test_bad_input_is_explained_and_nothing_is_sent(client, me):
    them = active()

    response = ask(client, them.profile.handle, note="hi", contact="")

    body = response.content.decode()
    assert "at least 10 characters" in body
    assert "This field is required" in body
    assert not IntroRequest.objects.exists()


def test_nobody_can_ask_themselves(client, me):
    response = ask(client, me.profile.handle)

    assert "yourself" in response.content.decode()


def test_a_member_who_is_not_listed_is_told_how_to_be(client, me):
    listed = client.get(reverse("members:directory")).content.decode()
    assert 'id="not-listed"' not in listed

    me.profile.in_directory = False
    me.profile.save()
    body = client.get(reverse("members:directory")).content.decode()

    assert 'id="not-listed"' in body
    assert "not in the directory, so other members can" in body
    assert reverse("members:profile") in body
