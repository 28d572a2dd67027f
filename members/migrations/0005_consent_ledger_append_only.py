"""The database itself refuses to change or remove consent ledger rows.

Erasing a member's account (their right to erasure) is the one exception: that transaction
sets `mutual.ledger_erasure` to 'on' first (PostgreSQL). Flushing test databases uses
TRUNCATE, which row triggers do not see.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION members_consentevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('mutual.ledger_erasure', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'The consent ledger is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER members_consentevent_append_only
    BEFORE UPDATE OR DELETE ON members_consentevent
    FOR EACH ROW EXECUTE FUNCTION members_consentevent_append_only();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS members_consentevent_append_only ON members_consentevent;
DROP FUNCTION IF EXISTS members_consentevent_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER members_consentevent_no_update BEFORE UPDATE ON members_consentevent
    BEGIN SELECT RAISE(ABORT, 'The consent ledger is append-only: UPDATE refused'); END;""",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS members_consentevent_no_update;"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("members", "0004_email_outbox_and_consent")]

    operations = [migrations.RunPython(forward, backward)]
