app_name = "discounts"

urlpatterns: list = []
