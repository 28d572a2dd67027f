from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from config import views
from core.page_cache import cache_for_visitors

admin.site.site_header = "Mutual staff"
admin.site.site_title = "Mutual staff"
admin.site.index_title = "Curation"
# Staff sign in through allauth, so the admin shares its rate limits and MFA. (allauth's
# documented way: the site's bound method is replaced on purpose, which mypy flags.)
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", cache_for_visitors(views.home), name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("members.urls")),
    path("", include("billing.urls")),
    path("", include("mail.urls")),
    path("", include("groups.urls")),
    path("", include("events.urls")),
    path("", include("experts.urls")),
    path("", include("discounts.urls")),
    path("", include("privacy.urls")),
    path("", include("home.urls")),
]

if settings.DEBUG:
    # `make run` serves uploaded photos and logos itself; production puts them behind a web server.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
