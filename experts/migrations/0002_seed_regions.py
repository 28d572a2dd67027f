from django.db import migrations

# (name, slug, kind), in the order the filter lists them. Frozen here: staff keep the table
# in the admin afterwards.
REGIONS = [
    ("London", "london", "place"),
    ("South East England", "south-east", "place"),
    ("South West England", "south-west", "place"),
    ("East of England", "east-of-england", "place"),
    ("East Midlands", "east-midlands", "place"),
    ("West Midlands", "west-midlands", "place"),
    ("Yorkshire and the Humber", "yorkshire-and-the-humber", "place"),
    ("North East England", "north-east", "place"),
    ("North West England", "north-west", "place"),
    ("Wales", "wales", "place"),
    ("Scotland", "scotland", "place"),
    ("Northern Ireland", "northern-ireland", "place"),
    ("Anywhere in the UK", "anywhere-in-the-uk", "nationwide"),
    ("Online", "online", "online"),
]


def seed(apps, schema_editor):
    Region = apps.get_model("experts", "Region")
    for position, (name, slug, kind) in enumerate(REGIONS, start=1):
        Region.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "position": position * 10}
        )


def unseed(apps, schema_editor):
    Region = apps.get_model("experts", "Region")
    Region.objects.filter(slug__in=[slug for _name, slug, _kind in REGIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("experts", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
