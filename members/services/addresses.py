"""Writes about who holds an email address: an unverified claim never blocks its owner."""

from allauth.account.models import EmailAddress
from django.db import connection, transaction

from members.models import User


def address_held_unverified_only(*, email: str) -> bool:
    """True when `email` is on some account, but only as an address nobody has confirmed.

    An account made outside sign-up (createsuperuser) with this address and no address rows
    counts as holding it: the operator vouched for it.
    """
    rows = list(EmailAddress.objects.filter(email__iexact=email).values_list("verified", flat=True))
    if any(rows):
        return False
    holders_without_rows = User.objects.filter(email__iexact=email, emailaddress__isnull=True)
    return bool(rows) and not holders_without_rows.exists()


def address_confirmed_by(*, email: str, users: list[User]) -> list[User]:
    """Those of `users` who hold `email` confirmed: the only ones a reset may be mailed for.

    An account made outside sign-up (createsuperuser) has no address rows; its address was
    set by an operator and counts as confirmed.
    """
    confirmed = set(
        EmailAddress.objects.filter(user__in=users, email__iexact=email, verified=True).values_list(
            "user_id", flat=True
        )
    )
    with_rows = set(EmailAddress.objects.filter(user__in=users).values_list("user_id", flat=True))
    return [
        user
        for user in users
        if user.pk in confirmed
        or (user.pk not in with_rows and user.email.lower() == email.lower())
    ]


@transaction.atomic
def address_unverified_claims_release(*, email: str) -> int:
    """Drop every unverified claim on `email`, so its owner can sign up with it.

    A pending change of address (allauth's change-email flow) or a second address nobody
    confirmed is removed; the account keeps its own confirmed address untouched. An account
    that signed up with `email` and never confirmed it could never sign in: it is removed
    whole, since the address was all it had. Returns how many claims were dropped.
    """
    claims = list(
        EmailAddress.objects.select_for_update()
        .filter(email__iexact=email, verified=False)
        .select_related("user")
    )
    for claim in claims:
        holder = claim.user
        if holder.email.lower() != email.lower():
            claim.delete()
            continue
        confirmed = EmailAddress.objects.filter(user=holder, verified=True).order_by(
            "-primary", "pk"
        )
        if replacement := confirmed.first():
            claim.delete()
            holder.email = replacement.email
            holder.save(update_fields=["email"])
            continue
        _never_confirmed_account_remove(user=holder)
    return len(claims)


def _never_confirmed_account_remove(*, user: User) -> None:
    if connection.vendor == "postgresql":
        # Its sign-up opt-ins are in the consent ledger, which allows only erasure (members
        # migration 0005); this account never existed for anyone who owns the address.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL mutual.ledger_erasure = 'on'")
            user.delete()
            cursor.execute("SET LOCAL mutual.ledger_erasure = 'off'")
    else:
        user.delete()
