from datetime import timedelta

import factory

from discounts.models import Code, Offer, Partner, site_today
from tests.factories import ModelFactory


class PartnerFactory(ModelFactory[Partner]):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    slug = factory.Sequence(lambda n: f"partner-{n}")
    website = "https://partner.example.org/"


class OfferFactory(ModelFactory[Offer]):
    """A generated-code offer running today, until the end of the month."""

    class Meta:
        model = Offer
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    title = factory.Sequence(lambda n: f"20% off, offer {n}")
    slug = factory.Sequence(lambda n: f"offer-{n}")
    description = "Twenty per cent off everything for Mutual members."
    terms = "One use per member. Not with any other offer."
    valid_from = factory.LazyFunction(lambda: site_today().replace(day=1))
    valid_until = factory.LazyFunction(lambda: site_today() + timedelta(days=10))
    method = Offer.Method.GENERATED

    @factory.post_generation
    def interests(self, create, extracted, **kwargs):
        if create and extracted:
            self.interests.set(extracted)


def pool_codes(offer: Offer, count: int, prefix: str = "POOL") -> list[Code]:
    return Code.objects.bulk_create(
        [Code(offer=offer, code=f"{prefix}{offer.pk}X{i:04d}") for i in range(count)]
    )
