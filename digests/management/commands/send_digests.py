"""Queue the opt-in digests now: the same job beat runs on schedule."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from digests import services
from digests.selectors import digest_contents, eligible_members, period_key
from mail.streams import DigestFrequency


class Command(BaseCommand):
    help = "Queue this period's weekly or monthly digests (or, with --dry-run, count them)."

    def add_arguments(self, parser):
        parser.add_argument("--frequency", required=True, choices=DigestFrequency.values)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print counts and one sample without writing or sending anything.",
        )

    def handle(self, *args, frequency: str, dry_run: bool, **options):
        if dry_run:
            return self.dry_run(frequency)
        run = services.digest_run_start(frequency=frequency)
        self.stdout.write(
            f"{run}: {run.eligible} eligible members in {run.batches_total} batches queued."
        )

    def dry_run(self, frequency: str) -> None:
        members = list(eligible_members(frequency))
        period = period_key(frequency, timezone.localdate())
        contents = {}
        for start in range(0, len(members), services.BATCH_SIZE):
            contents.update(
                digest_contents(members[start : start + services.BATCH_SIZE], frequency=frequency)
            )
        with_content = [m for m in members if not contents[m.pk].is_empty()]
        self.stdout.write(f"Dry run, {frequency} digest for {period}: nothing is sent.")
        self.stdout.write(f"  eligible members:  {len(members)}")
        self.stdout.write(f"  would be sent:     {len(with_content)}")
        self.stdout.write(f"  skipped as empty:  {len(members) - len(with_content)}")
        if with_content:
            sample = contents[with_content[0].pk]
            self.stdout.write(f"Sample (member #{with_content[0].pk}):")
            for section in ("events", "experts", "groups", "offers"):
                for item in getattr(sample, section):
                    title = item.get("title") or item.get("name")
                    self.stdout.write(f"  [{section}] {title}")
