"""/api/v1/: each app contributes its own routes (teams/api/urls.py, roles/api/urls.py, ...)."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("teams.api.urls")),
    path("", include("roles.api.urls")),
]
