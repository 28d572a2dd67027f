import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_part_ok(client):
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "ok"}


def test_healthz_names_redis_when_it_is_unreachable(client, settings):
    # Nothing listens on port 1: both the cache and the Celery broker live in Redis.
    unreachable = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": unreachable,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.CELERY_BROKER_URL = unreachable

    response = client.get("/healthz/")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "cache": "down", "broker": "down"}
