"""django-zeal really fails a test on an N+1: in a request and in a Celery task.

config/test_settings.py puts zeal's middleware in front of every request and tests/conftest.py
starts it around every task. These tests run a deliberate N+1 through both doors (a view and a
task defined here, never in the product) and show that zeal raises, and that the same code
with `select_related` passes.
"""

import pytest
from django.http import HttpResponse
from django.urls import path
from zeal import NPlusOneError

from config.celery import app
from members.models import Profile
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def _emails(profiles) -> str:
    return ",".join(profile.user.email for profile in profiles)


def n_plus_one(request):
    return HttpResponse(_emails(Profile.objects.all()))


def joined(request):
    return HttpResponse(_emails(Profile.objects.select_related("user")))


urlpatterns = [path("n-plus-one/", n_plus_one), path("joined/", joined)]


@app.task
def n_plus_one_task() -> str:
    return _emails(Profile.objects.all())


@app.task
def joined_task() -> str:
    return _emails(Profile.objects.select_related("user"))


@pytest.fixture
def three_people():
    return UserFactory.create_batch(3)


@pytest.mark.urls(__name__)
def test_an_n_plus_one_in_a_request_fails_the_test(client, three_people):
    with pytest.raises(NPlusOneError, match=r"members\.Profile\.user"):
        client.get("/n-plus-one/")


@pytest.mark.urls(__name__)
def test_the_same_page_loading_the_users_up_front_passes(client, three_people):
    response = client.get("/joined/")

    assert response.status_code == 200
    assert response.content.decode().count("@") == 3


def test_an_n_plus_one_in_a_task_fails_the_test(three_people):
    with pytest.raises(NPlusOneError, match=r"members\.Profile\.user"):
        n_plus_one_task.delay()


def test_the_same_task_loading_the_users_up_front_passes(three_people):
    assert joined_task.delay().get().count("@") == 3


def test_zeal_is_for_tests_only():
    from config import settings as production

    assert "zeal" not in production.INSTALLED_APPS
    assert not any("zeal" in name for name in production.MIDDLEWARE)
