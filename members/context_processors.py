from django.conf import settings


def site(request):
    """What every page needs to know about the site itself."""
    return {
        "membership_price": settings.MEMBERSHIP_PRICE,
        "membership_currency": settings.MEMBERSHIP_CURRENCY,
        "membership_currency_symbol": {"GBP": "£", "EUR": "€", "USD": "$"}.get(
            settings.MEMBERSHIP_CURRENCY, ""
        ),
        "site_url": settings.SITE_URL,
    }
