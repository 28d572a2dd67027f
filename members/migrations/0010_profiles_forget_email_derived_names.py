"""Profiles made before members chose their own name took it, and the handle, from the local
part of the email address ("jsmith1987"), which points straight at the address. Those that
still carry that derived handle get a random one, and a derived display name becomes "New
member" until the member picks one. Profile URLs change; nothing links to them yet.
"""

import re
import secrets

from django.db import migrations
from django.utils.text import slugify


def _derived_handle_base(email: str) -> str:
    """The handle base the old profile_create made from an address."""
    local = email.split("@", 1)[0]
    base = slugify(re.sub(r"[._+]+", "-", local)).strip("-")[:24].strip("-") or "member"
    return base if len(base) >= 3 else f"{base}-member"


def _derived_name(email: str) -> str:
    local = email.split("@", 1)[0]
    return local.replace(".", " ").replace("_", " ").title()[:80]


def forget_email_derived(apps, schema_editor):
    Profile = apps.get_model("members", "Profile")
    taken = set(Profile.objects.values_list("handle", flat=True))
    for profile in Profile.objects.select_related("user").iterator(chunk_size=2000):
        email = profile.user.email
        base = _derived_handle_base(email)
        fields = []
        if re.fullmatch(rf"{re.escape(base)}(-\d{{4}}|-[0-9a-f]{{6}})?", profile.handle):
            handle = f"member-{secrets.token_hex(3)}"
            while handle in taken:
                handle = f"member-{secrets.token_hex(3)}"
            taken.add(handle)
            profile.handle = handle
            fields.append("handle")
        if profile.display_name == _derived_name(email):
            profile.display_name = "New member"
            fields.append("display_name")
        if fields:
            profile.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [("members", "0009_staff_enrolment")]

    operations = [migrations.RunPython(forget_email_derived, migrations.RunPython.noop)]
