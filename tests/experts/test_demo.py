import io
import random
import time

import pytest

from experts import demo
from experts.models import Credential, Expert
from experts.selectors import featured_experts

pytestmark = pytest.mark.django_db


def test_demo_experts_are_published_with_credentials_and_leadership():
    created = demo.seed(count=8, rng=random.Random(1), stdout=io.StringIO())

    assert created == 8
    assert Expert.objects.published().count() == 8
    assert Expert.objects.featured().count() == 3
    assert Expert.objects.filter(interests__slug="leadership").count() >= 3
    for expert in Expert.objects.all():
        assert expert.credentials.count() >= 2
        assert expert.regions.exists()
        assert expert.interests.exists()
    assert Credential.objects.filter(kind="book").count() >= 8
    assert len(featured_experts(limit=3)) == 3


def test_demo_is_idempotent_and_fast_at_hundreds():
    out = io.StringIO()
    demo.seed(count=8, rng=random.Random(1), stdout=out)

    started = time.monotonic()
    created = demo.seed(count=400, rng=random.Random(1), stdout=out)
    elapsed = time.monotonic() - started

    assert created == 392
    assert Expert.objects.count() == 400
    assert demo.seed(count=400, rng=random.Random(1), stdout=out) == 0
    assert Expert.objects.count() == 400
    assert elapsed < 10
