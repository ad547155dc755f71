"""/api/v1/: each app contributes its own routes (teams/api/urls.py, roles/api/urls.py, ...)."""

from django.urls import include, path

from orgstructure.api.auth import TokenObtainView
from orgstructure.api.changes import ChangeFeedView
from orgstructure.api.root import ApiRootView

app_name = "api"

urlpatterns = [
    path("", ApiRootView.as_view(), name="root"),
    path("auth/token/", TokenObtainView.as_view(), name="auth-token"),
    path("changes/", ChangeFeedView.as_view(), name="changes"),
    path("", include("teams.api.urls")),
    path("", include("roles.api.urls")),
    path("analysis/", include("roles.api.analysis_urls")),
    path("", include("reviews.api.urls")),
]
