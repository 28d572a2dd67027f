"""Accounts made outside sign-up (createsuperuser, the shell) have no profile yet."""

import pytest
from django.urls import reverse

from members.models import Profile
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_their_introductions_page_opens_and_creates_nothing(client):
    user = UserFactory()
    Profile.objects.filter(user=user).delete()
    client.force_login(user)

    response = client.get(reverse("members:intros"))

    assert response.status_code == 200
    assert not Profile.objects.filter(user=user).exists()
