from django.db import migrations
from django.utils.text import slugify

BUSINESS = [
    "Marketing",
    "Sales",
    "Finance and bookkeeping",
    "Leadership",
    "Start-ups",
    "Freelancing",
    "E-commerce",
    "Social media",
    "Branding and design",
    "Public speaking",
    "Negotiation",
    "Hiring and people",
    "Technology for small business",
    "Law and contracts",
    "Exporting",
    "Sustainability in business",
    "Family business",
    "Writing and copywriting",
]
WELLBEING = [
    "Mindfulness",
    "Fitness",
    "Running",
    "Cycling",
    "Walking and hiking",
    "Nutrition",
    "Yoga",
    "Sleep",
    "Work-life balance",
    "Mental health",
    "Coaching",
    "Volunteering",
]


def seed(apps, schema_editor):
    Interest = apps.get_model("members", "Interest")
    for category, names in (("business", BUSINESS), ("wellbeing", WELLBEING)):
        for name in names:
            Interest.objects.get_or_create(
                slug=slugify(name), defaults={"name": name, "category": category}
            )


def unseed(apps, schema_editor):
    Interest = apps.get_model("members", "Interest")
    Interest.objects.filter(slug__in=[slugify(n) for n in BUSINESS + WELLBEING]).delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
