from django.utils.translation import gettext as _

from mail.emails import EmailContent, email_kind


@email_kind("account_deleted")
def _account_deleted(delivery) -> EmailContent:
    return EmailContent(
        subject=_("Your Mutual account has been deleted"),
        template="privacy/email/account_deleted",
        context={},
    )
