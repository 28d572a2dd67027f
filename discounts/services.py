"""Writes for partner discounts: redeeming an offer, checking codes at the till, code pools.

Codes are scarce, so redeeming follows pretix's rule: lock what you count before counting
it. The offer row is locked for the whole redemption, the counter moves with `F()`, and
constraints in the database refuse anything past the cap or a member's limit should a
request ever slip past the lock.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit import services as audit
from audit.models import Action, ActorKind
from billing.selectors import member_is_active
from core import faults
from discounts.models import (
    CODE_MAX_LENGTH,
    Code,
    Offer,
    Partner,
    Redemption,
    new_verification_token,
    site_today,
)
from members.models import User

GENERATED_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out at a till
GENERATED_LENGTH = 10  # 31**10, about 2**49.5 possible codes: not guessable
IMPORT_MAX_ROWS = 20_000
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")


# --- Redeeming --------------------------------------------------------------------------


class RedemptionError(Exception):
    """A redemption that cannot happen; `message` says why, in words for the member."""

    message = ""

    def __init__(self, message: str = ""):
        super().__init__(message or self.message)
        self.message = message or self.message


class MembershipInactive(RedemptionError):
    pass


class OfferNotStarted(RedemptionError):
    pass


class OfferEnded(RedemptionError):
    pass


class OfferExhausted(RedemptionError):
    pass


class MemberLimitReached(RedemptionError):
    pass


def offer_redeem(
    *, offer: Offer, member: User, another: bool = False, now: datetime | None = None
) -> tuple[Redemption, bool]:
    """Give `member` a code for `offer`; returns `(redemption, created)`.

    Idempotent: a member who already holds a code gets their latest one back and nothing is
    consumed. Only `another=True` (the "Get another code" button, for offers allowing more
    than one per member) issues a further code, up to the offer's per-member limit.
    Raises a `RedemptionError` subclass when the offer is outside its dates, all claimed,
    or the member is not active.
    """
    if not member_is_active(member):
        raise MembershipInactive(
            _("Your membership isn't active, so you can't claim codes right now. Rejoin to redeem.")
        )
    try:
        return _redeem_locked(offer_id=offer.pk, member=member, another=another, now=now)
    except IntegrityError:
        # Only reachable if the lock was bypassed: a constraint refused the write. Read the
        # committed state again to tell the member what happened.
        existing = _latest_redemption(offer_id=offer.pk, member=member)
        if existing is not None and not another:
            return existing, False
        fresh = Offer.objects.with_codes_left().get(pk=offer.pk)
        if another and existing is not None:
            count = Redemption.objects.filter(offer=fresh, member=member).count()
            if count >= fresh.per_member_limit:
                raise _limit_reached(fresh) from None
        if fresh.is_exhausted:
            raise _exhausted() from None
        # Another request for the same code number got there first (presses at once).
        raise RedemptionError(
            _("Lots of codes are being claimed at once. Please try again in a moment.")
        ) from None


@transaction.atomic(durable=True)
def _redeem_locked(
    *, offer_id: int, member: User, another: bool, now: datetime | None
) -> tuple[Redemption, bool]:
    offer = faults.locked(Offer.objects).get(pk=offer_id)
    existing = list(
        Redemption.objects.filter(offer=offer, member=member)
        .select_related("code")
        .order_by("number")
    )
    if existing and not another:
        return existing[-1], False
    if len(existing) >= offer.per_member_limit:
        raise _limit_reached(offer)

    today = site_today(now)
    if not offer.has_started(today=today):
        raise OfferNotStarted(
            _("This offer opens on %(date)s. Come back then to claim your code.")
            % {"date": _format_date(offer.valid_from)}
        )
    if offer.has_ended(today=today):
        raise OfferEnded(
            _("This offer ended on %(date)s, so no more codes can be claimed.")
            % {"date": _format_date(offer.valid_until)}
        )
    if offer.total_cap is not None and offer.redeemed_count >= offer.total_cap:
        raise _exhausted()
    faults.checked()

    now = now or timezone.now()
    code = _take_code(offer=offer, member=member, now=now)
    Offer.objects.filter(pk=offer.pk).update(redeemed_count=F("redeemed_count") + 1)
    redemption = Redemption.objects.create(
        offer=offer,
        member=member,
        number=len(existing) + 1,
        member_limit=offer.per_member_limit,
        code=code,
        code_text=code.code if code else offer.shared_code,
        created_at=now,
    )
    return redemption, True


def _take_code(*, offer: Offer, member: User, now: datetime) -> Code | None:
    if offer.method == Offer.Method.SHARED:
        return None
    if offer.method == Offer.Method.POOL:
        code = (
            Code.objects.select_for_update(skip_locked=True)
            .filter(offer=offer, assigned_at=None)
            .order_by("pk")
            .first()
        )
        if code is None:
            raise _exhausted()
        code.member = member
        code.assigned_at = now
        code.save(update_fields=["member", "assigned_at"])
        return code
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Code.objects.create(
                    offer=offer, code=code_generate(), member=member, assigned_at=now
                )
        except IntegrityError:
            continue  # a one-in-2**49 collision with an earlier code: draw again
    raise IntegrityError("Could not generate a unique code.")


def code_generate() -> str:
    """A random, unguessable code from an alphabet that is easy to read out loud."""
    return "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(GENERATED_LENGTH))


def _latest_redemption(*, offer_id: int, member: User) -> Redemption | None:
    return (
        Redemption.objects.filter(offer_id=offer_id, member=member)
        .select_related("code")
        .order_by("-number")
        .first()
    )


def _exhausted() -> OfferExhausted:
    return OfferExhausted(
        _("All claimed: every code for this offer has gone. Look out for next month's offers.")
    )


def _limit_reached(offer: Offer) -> MemberLimitReached:
    return MemberLimitReached(
        ngettext(
            "You already have the %(n)d code allowed per member for this offer.",
            "You already have the %(n)d codes allowed per member for this offer.",
            offer.per_member_limit,
        )
        % {"n": offer.per_member_limit}
    )


def _format_date(value: date) -> str:
    return date_format(value, "j F Y")


# --- Partners checking codes --------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    """What a partner learns about a code: never who holds it."""

    found: bool
    entered: str
    offer: Offer | None = None
    shared: bool = False
    claimed_at: datetime | None = None
    used_at: datetime | None = None
    code_id: int | None = None

    @property
    def claimed(self) -> bool:
        return self.shared or self.claimed_at is not None

    @property
    def can_mark_used(self) -> bool:
        return self.code_id is not None and self.claimed_at is not None and self.used_at is None

    def verdict(self, *, today: date) -> str:
        """One word for the partner's page: invalid, unclaimed, used, not_started, ended, valid."""
        if not self.found or self.offer is None:
            return "invalid"
        if not self.claimed:
            return "unclaimed"
        if self.used_at is not None:
            return "used"
        if not self.offer.has_started(today=today):
            return "not_started"
        if self.offer.has_ended(today=today):
            return "ended"
        return "valid"


def normalise_code(value: str) -> str:
    return re.sub(r"\s+", "", value or "")


def partner_code_check(*, partner: Partner, code: str) -> CodeCheck:
    """Look a typed code up among this partner's offers (case-insensitive, spaces ignored)."""
    entered = normalise_code(code)
    if not entered or len(entered) > CODE_MAX_LENGTH:
        return CodeCheck(found=False, entered=entered)
    match = (
        Code.objects.filter(offer__partner=partner)
        .annotate(code_upper=Upper("code"))
        .filter(code_upper=entered.upper())
        .select_related("offer")
        .order_by("-assigned_at", "-pk")
        .first()
    )
    if match is not None:
        return CodeCheck(
            found=True,
            entered=match.code,
            offer=match.offer,
            claimed_at=match.assigned_at,
            used_at=match.used_at,
            code_id=match.pk,
        )
    shared = (
        Offer.objects.filter(partner=partner, method=Offer.Method.SHARED)
        .annotate(code_upper=Upper("shared_code"))
        .filter(code_upper=entered.upper())
        .order_by("-valid_until")
        .first()
    )
    if shared is not None:
        return CodeCheck(found=True, entered=shared.shared_code, offer=shared, shared=True)
    return CodeCheck(found=False, entered=entered)


@transaction.atomic(durable=True)
def partner_code_mark_used(*, partner: Partner, code: str) -> tuple[CodeCheck, bool]:
    """Mark a claimed code as used at the partner's till; returns `(check, newly_marked)`.

    Idempotent: marking it again changes nothing and keeps the first time it was used.
    A code of another partner, or one no member has claimed, is refused (`Code.DoesNotExist`).
    """
    entered = normalise_code(code)
    found = (
        Code.objects.select_for_update(of=("self",))
        .select_related("offer")
        .annotate(code_upper=Upper("code"))
        .filter(offer__partner=partner, assigned_at__isnull=False, code_upper=entered.upper())
        .order_by("-assigned_at", "-pk")
        .first()
    )
    if found is None or not entered:
        raise Code.DoesNotExist
    newly = found.used_at is None
    if newly:
        found.used_at = timezone.now()
        found.save(update_fields=["used_at"])
    check = CodeCheck(
        found=True,
        entered=found.code,
        offer=found.offer,
        claimed_at=found.assigned_at,
        used_at=found.used_at,
        code_id=found.pk,
    )
    return check, newly


def partner_code_use(*, partner: Partner, code: str) -> tuple[CodeCheck, bool]:
    """The till's "mark as used": marks a claimed code of this partner's (see
    `partner_code_mark_used`); anything else (unknown, unclaimed, shared) is only checked.
    Returns `(check, newly_marked)`."""
    try:
        return partner_code_mark_used(partner=partner, code=code)
    except Code.DoesNotExist:
        return partner_code_check(partner=partner, code=code), False


# --- Staff edits -------------------------------------------------------------------------


# What the audit log compares before and after staff edit an offer.
AUDITED_OFFER_FIELDS = (
    "partner",
    "title",
    "slug",
    "description",
    "terms",
    "valid_from",
    "valid_until",
    "featured",
    "method",
    "shared_code",
    "per_member_limit",
    "total_cap",
)


@transaction.atomic
def offer_save(*, offer: Offer, by: User | None = None) -> Offer:
    """Save staff's changes to an offer without ever writing the codes-given-out counter.

    The counter moves only in `offer_redeem`, under the row lock. A plain `save()` from an
    admin form would write back the count as it was when the form was loaded, undoing any
    redemption made since; so we take the same lock and leave that column alone. Creating
    an offer (which lists it on its dates) or changing it leaves one audit entry, as `by`.
    Not durable: the admin calls it inside the transaction Django opens for the form.
    """
    if offer.pk is None:
        offer.redeemed_count = 0
        offer.save()
        _audit(
            offer,
            by=by,
            action=Action.OFFER_CREATED,
            after=audit.snapshot(offer, AUDITED_OFFER_FIELDS),
        )
        return offer
    current = Offer.objects.select_for_update().get(pk=offer.pk)
    fields = [
        f.name
        for f in Offer._meta.concrete_fields
        if not f.primary_key and f.name not in ("redeemed_count", "created_at")
    ]
    offer.save(update_fields=fields)
    was, now_is = audit.changes(
        audit.snapshot(current, AUDITED_OFFER_FIELDS), audit.snapshot(offer, AUDITED_OFFER_FIELDS)
    )
    if now_is:
        _audit(offer, by=by, action=Action.OFFER_CHANGED, before=was, after=now_is)
    return offer


def _audit(
    target: Offer | Partner,
    *,
    by: User | None,
    action: Action,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    kind = "offer" if isinstance(target, Offer) else "partner"
    audit.record(
        # Offers and partners are staff's to edit, in the admin.
        actor=by,
        actor_kind=ActorKind.SYSTEM if by is None else ActorKind.STAFF,
        action=action,
        target=target,
        target_repr=f"{kind} “{target}”",
        before=before,
        after=after,
    )


@transaction.atomic(durable=True)
def partner_rotate_token(*, partner: Partner, by: User | None = None) -> Partner:
    """Issue a new secret link; the old one stops working at once (the secret itself is
    never written to the audit log, only that it changed)."""
    partner.verification_token = new_verification_token()
    partner.save(update_fields=["verification_token", "updated_at"])
    _audit(partner, by=by, action=Action.PARTNER_LINK_ROTATED)
    return partner


# --- Code pools ---------------------------------------------------------------------------


@dataclass
class CodeImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class CodeImportError(Exception):
    pass


def codes_parse_csv(*, data: bytes) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Read one code per row, with an optional `code` header; returns `(codes, errors)`.

    Each is a list of `(line number, value or message)`. Blank lines at the very end are
    ignored; any other blank, over-long or oddly written row is an error.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [(0, _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))]
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    codes: list[tuple[int, str]] = []
    errors: list[tuple[int, str]] = []
    if len(rows) > IMPORT_MAX_ROWS:
        return [], [(0, _("At most %(n)d codes per file.") % {"n": IMPORT_MAX_ROWS})]
    for line, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        while cells and not cells[-1]:
            cells.pop()
        if line == 1 and len(cells) == 1 and cells[0].lower() in ("code", "codes"):
            continue
        if not cells:
            errors.append((line, _("empty row")))
        elif len(cells) > 1:
            errors.append((line, _("more than one column: put one code per row")))
        elif len(cells[0]) > CODE_MAX_LENGTH:
            errors.append((line, _("too long (at most %(n)d characters)") % {"n": CODE_MAX_LENGTH}))
        elif not CODE_PATTERN.match(cells[0]):
            errors.append(
                (
                    line,
                    _(
                        "“%(code)s” has characters we can't accept: use 3 to 64 letters, "
                        "digits, hyphens or underscores"
                    )
                    % {"code": cells[0][:40]},
                )
            )
        else:
            codes.append((line, cells[0]))
    return codes, errors


@transaction.atomic(durable=True)
def offer_import_codes(*, offer: Offer, data: bytes, by: User | None = None) -> CodeImportReport:
    """Add the codes in a CSV file to a pool offer: all of them, or none if any row is bad.

    Duplicates within the file and codes already in the pool (case-insensitively) are
    reported with their line numbers. The offer stays locked while we check and insert, so
    two imports at once cannot both add the same code.
    """
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.method != Offer.Method.POOL:
        return CodeImportReport(errors=[(0, _("This offer doesn't use a code pool."))])
    codes, errors = codes_parse_csv(data=data)
    seen: dict[str, int] = {}
    for line, code in codes:
        key = code.upper()
        if key in seen:
            errors.append(
                (line, _("%(code)s repeats line %(first)d") % {"code": code, "first": seen[key]})
            )
        else:
            seen[key] = line
    existing = set(
        Code.objects.filter(offer=offer)
        .annotate(code_upper=Upper("code"))
        .filter(code_upper__in=list(seen))
        .values_list("code_upper", flat=True)
    )
    errors.extend(
        (line, _("%(code)s is already in this offer's pool") % {"code": code})
        for line, code in codes
        if code.upper() in existing and seen[code.upper()] == line
    )
    if not codes and not errors:
        errors.append((0, _("The file has no codes in it.")))
    if errors:
        return CodeImportReport(errors=sorted(errors))
    Code.objects.bulk_create([Code(offer=offer, code=code) for _line, code in codes])
    # The count only: the codes themselves are secrets until given out.
    _audit(offer, by=by, action=Action.OFFER_CODES_IMPORTED, after={"imported": len(codes)})
    return CodeImportReport(imported=len(codes))
