from django.conf import settings

from billing.selectors import Standing, standing_of

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def site(request):
    """What every page needs to know: the one price, where the visitor stands (`standing`:
    "member", "lapsed" or "never_joined"; `is_member` is its first case), and whether
    payments are simulated (then every page says so)."""
    symbol = CURRENCY_SYMBOLS.get(settings.MEMBERSHIP_CURRENCY, "")
    price = settings.MEMBERSHIP_PRICE
    standing = standing_of(getattr(request, "user", None))
    return {
        "membership_price": price,
        "membership_currency": settings.MEMBERSHIP_CURRENCY,
        "membership_currency_symbol": symbol,
        "membership_price_display": f"{symbol}{price}"
        if symbol
        else f"{price} {settings.MEMBERSHIP_CURRENCY}",
        "site_url": settings.SITE_URL,
        "payments_simulated": settings.PAYMENTS_SIMULATED,
        "standing": standing,
        "is_member": standing == Standing.MEMBER,
    }
