import datetime

import factory
from django.utils import timezone

from experts.models import Credential, Expert, ExpertRequest, ExpertRequestStatusChange, Region
from tests.factories import ModelFactory
from tests.members.factories import UserFactory


def region(slug: str) -> Region:
    return Region.objects.get(slug=slug)


def future_date(days: int = 30) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


class ExpertFactory(ModelFactory[Expert]):
    class Meta:
        model = Expert
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Expert Person {n}")
    slug = factory.Sequence(lambda n: f"expert-person-{n}")
    headline = "Author and speaker on running a small business"
    bio = "Twenty years of helping small firms.\n\nSpeaks plainly, takes questions."
    is_published = True

    @factory.post_generation
    def interests(self, create, extracted, **kwargs):
        if create and extracted:
            self.interests.set(extracted)

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create and extracted:
            self.regions.set(extracted)


class CredentialFactory(ModelFactory[Credential]):
    class Meta:
        model = Credential

    expert = factory.SubFactory(ExpertFactory)
    kind = Credential.Kind.BOOK
    title = factory.Sequence(lambda n: f"A Useful Book, volume {n}")
    year = 2020


class ExpertRequestFactory(ModelFactory[ExpertRequest]):
    """A request row as the service would leave it (without its emails)."""

    class Meta:
        model = ExpertRequest
        skip_postgeneration_save = True

    member = factory.SubFactory(UserFactory)
    expert = factory.SubFactory(ExpertFactory)
    event_name = factory.Sequence(lambda n: f"Business breakfast {n}")
    event_date = factory.Sequence(lambda n: future_date(10 + n))
    town = "Harrogate"
    audience = 40
    topic = "Leading a small team"
    message = "We meet monthly over breakfast; about forty owner-managers come along."

    @factory.post_generation
    def created_change(self, create, extracted, **kwargs):
        if create:
            ExpertRequestStatusChange.objects.create(
                request=self, from_status="", to_status=self.status, changed_by=self.member
            )


def request_data(**overrides) -> dict:
    """A valid POST for the request form."""
    data = {
        "event_name": "Harrogate business breakfast",
        "event_date": future_date(45).isoformat(),
        "town": "Harrogate",
        "audience": "40",
        "topic": "Leading a team through change",
        "message": "We meet on the first Tuesday of the month; about forty owners come along.",
    }
    data.update(overrides)
    return data
