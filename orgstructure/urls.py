from django.contrib import admin
from django.urls import include, path

from orgstructure import views

# The language comes from the visitor's choice (the set_language cookie) or their browser's
# Accept-Language: URLs are the same in every language, which keeps API paths stable.
urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("orgstructure.api.urls")),
    path("healthz", views.healthz, name="healthz"),
]
