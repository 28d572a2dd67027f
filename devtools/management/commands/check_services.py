"""Say clearly whether PostgreSQL and Redis can be reached, before a long test run starts."""

from typing import Any

import psycopg
import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql


class Command(BaseCommand):
    help = "Check that the configured PostgreSQL and Redis answer; create the database if absent."

    def handle(self, *args, **options):
        problems = [p for p in (self.check_postgres(), self.check_redis()) if p]
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("PostgreSQL and Redis are reachable.")

    def check_postgres(self) -> str | None:
        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.postgresql":
            return f"DATABASE_URL must point at PostgreSQL for the tests (got {db['ENGINE']})."
        params: dict[str, Any] = {  # psycopg.connect's keywords, from Django's DATABASES
            "host": db.get("HOST") or "127.0.0.1",
            "port": db.get("PORT") or 5432,
            "user": db.get("USER") or "postgres",
            "password": db.get("PASSWORD") or None,
            "connect_timeout": 3,
        }
        where = f"{params['host']}:{params['port']} as {params['user']}"
        try:
            with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
                ).fetchone()
                if not exists:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        except psycopg.Error as error:
            return (
                f"PostgreSQL is not reachable at {where}: {error}".strip()
                + "\n  Start it (e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`)"
                " or set DATABASE_URL."
            )
        return None

    def check_redis(self) -> str | None:
        url = settings.REDIS_URL
        if not url:
            return "REDIS_URL is not set; the tests need Redis (e.g. redis://127.0.0.1:6379/0)."
        try:
            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        except redis.RedisError as error:
            return (
                f"Redis is not reachable at {url}: {error}"
                "\n  Start it (e.g. `redis-server --daemonize yes`) or set REDIS_URL."
            )
        return None
