"""Members with something in every section of their home, at any size."""

from events.models import RSVP
from events.services.rsvp import rsvp_respond
from members.models import Interest, IntroRequest, Profile
from tests.discounts.factories import OfferFactory
from tests.events.factories import EventFactory, active_member
from tests.experts.factories import ExpertRequestFactory
from tests.groups.factories import GroupFactory, add_member, thread_with_opening

MINE = ("marketing", "mindfulness", "sales")


def interests(*slugs: str) -> list[Interest]:
    return list(Interest.objects.filter(slug__in=slugs).order_by("name"))


def member_with_interests(*slugs: str, **kwargs):
    user = active_member(**kwargs)
    user.profile.interests.set(interests(*(slugs or MINE)))
    return user


def busy_home(member, rows: int) -> dict:
    """`rows` of everything the home shows for `member` (who has interests already), and one
    group, event and member to suggest."""
    mine = list(member.profile.interests.all())
    other = active_member()
    groups = [GroupFactory(interests=mine) for _ in range(rows)]
    for n, group in enumerate(groups):
        add_member(group, member)
        thread_with_opening(group, other, title=f"Conversation {n}")
    going = [EventFactory(interests=mine) for _ in range(rows)]
    for event in going:
        rsvp_respond(event=event, member=member, response="yes")
    full = [EventFactory(capacity=1) for _ in range(rows)]
    for event in full:
        rsvp_respond(event=event, member=other, response="yes")
        rsvp_respond(event=event, member=member, response="yes")
    offers = [OfferFactory(interests=mine) for _ in range(rows)]
    senders = [active_member() for _ in range(rows)]
    for sender in senders:
        IntroRequest.objects.create(sender=sender, recipient=member, note="Hello there")
    requests = [ExpertRequestFactory(member=member) for _ in range(rows)]
    like_mind = active_member()
    Profile.objects.filter(user=like_mind).update(display_name="Like Mind")
    like_mind.profile.interests.set(mine)
    return {
        "groups": groups,
        "going": going,
        "full": full,
        "offers": offers,
        "senders": senders,
        "requests": requests,
        "suggested_group": GroupFactory(name=f"Suggested circle {member.pk}", interests=mine),
        "suggested_event": EventFactory(title="Suggested talk", interests=mine),
        "like_mind": like_mind,
    }


def waiting_position(event, member) -> int:
    """The member's place in the event's queue, counted afresh."""
    rsvp = RSVP.objects.get(event=event, member=member)
    queue = RSVP.objects.filter(event=event).waitlisted()
    return queue.filter(waitlist_ticket__lte=rsvp.waitlist_ticket).count()
