from django.conf import settings

from billing.selectors import member_is_active

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def site(request):
    """What every page needs to know: the one price, whether the visitor is a member, and
    whether payments are simulated (then every page says so)."""
    symbol = CURRENCY_SYMBOLS.get(settings.MEMBERSHIP_CURRENCY, "")
    price = settings.MEMBERSHIP_PRICE
    user = getattr(request, "user", None)
    return {
        "membership_price": price,
        "membership_currency": settings.MEMBERSHIP_CURRENCY,
        "membership_currency_symbol": symbol,
        "membership_price_display": f"{symbol}{price}"
        if symbol
        else f"{price} {settings.MEMBERSHIP_CURRENCY}",
        "site_url": settings.SITE_URL,
        "payments_simulated": settings.PAYMENTS_SIMULATED,
        "is_member": bool(user and user.is_authenticated and member_is_active(user)),
    }
