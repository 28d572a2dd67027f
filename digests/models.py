from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mail.streams import DigestFrequency


class DigestRun(models.Model):
    """One send of the weekly or monthly digest for one period (a week or a month).

    Triggering the same period again finds this row, and every member's delivery has a
    unique key for the period, so nobody gets a second digest.
    """

    frequency = models.CharField(max_length=16, choices=DigestFrequency.choices)
    period = models.CharField(max_length=16, help_text=_("e.g. 2026-W48 or 2026-11"))
    started_at = models.DateTimeField(default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    eligible = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    skipped_empty = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    batches_total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["frequency", "period"], name="one_run_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} digest {self.period}"

    @property
    def dedupe_prefix(self) -> str:
        return f"digest:{self.frequency}:{self.period}:"
