app_name = "experts"

urlpatterns: list = []
