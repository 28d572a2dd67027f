"""Membership and Stripe events move to the `billing` app, streams, the consent ledger and the
outbox to `mail` (issue 17). Nothing is copied: each table is renamed to the new app's name
(`members_membership` becomes `billing_membership`...), rows, ids, indexes, constraints and
the consent ledger's append-only trigger stay as they are, and Django's idea of which app
owns each model moves with `SeparateDatabaseAndState`. The new apps' `0001_initial` create
the models in the state only, after this migration.

The content types move too, so admin log entries and permissions follow their models.
"""

from django.db import migrations

MOVED = {
    "billing": ["membership", "stripeevent"],
    "mail": [
        "streamsubscription",
        "consentevent",
        "suppressedaddress",
        "emaildelivery",
        "addressoptout",
    ],
}


def content_types_move(apps, schema_editor, *, forward=True):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for new_app, models in MOVED.items():
        old_label, new_label = ("members", new_app) if forward else (new_app, "members")
        for model in models:
            if ContentType.objects.using(db).filter(app_label=new_label, model=model).exists():
                continue  # already there (made by a post_migrate run): keep it
            ContentType.objects.using(db).filter(app_label=old_label, model=model).update(
                app_label=new_label
            )


def content_types_back(apps, schema_editor):
    content_types_move(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0010_profiles_forget_email_derived_names"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name=model, table=f"{new_app}_{model}")
                for new_app, models in MOVED.items()
                for model in models
            ],
            state_operations=[
                migrations.DeleteModel(name=model)
                for models in MOVED.values()
                for model in models
            ],
        ),
        migrations.RunPython(content_types_move, content_types_back),
    ]
