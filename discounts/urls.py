from django.urls import path

from core.page_cache import cache_for_visitors
from discounts import views

app_name = "discounts"

urlpatterns = [
    path("discounts/", cache_for_visitors(views.offer_list), name="list"),
    path("discounts/mine/", views.my_codes, name="mine"),
    path("discounts/partners/<str:token>/", views.partner_verify, name="partner_verify"),
    path("discounts/<slug:slug>/", views.offer_detail, name="detail"),
    path("discounts/<slug:slug>/redeem/", views.offer_redeem, name="redeem"),
]
