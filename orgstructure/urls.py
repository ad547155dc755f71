from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.urls import include, path, re_path
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from orgstructure import views
from orgstructure.api.errors import api_not_found
from orgstructure.signin import LimitedPasswordResetView, SignInForm

# The language comes from the visitor's choice (the set_language cookie) or their browser's
# Accept-Language: URLs are the same in every language, which keeps API paths stable.

# JSON first, so the schema (and its 401) is JSON unless YAML is asked for (?format=yaml).
schema_view = SpectacularAPIView.as_view(
    renderer_classes=[OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2]
)

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Sign-in says when a lockout refused it; reset mails are limited (orgstructure/signin.py).
    path("accounts/login/", LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/password_reset/", LimitedPasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("orgstructure.api.urls")),
    path("", include("reviews.urls")),
    path("roles/", include("roles.urls")),
    path("roles/", include("roles.history_urls")),
    path("", include("teams.urls")),
    path("", include("roles.analysis_urls")),
    # OpenAPI: the schema for signed-in callers (token or session); Swagger UI for people signed
    # in to the site (its assets come from drf-spectacular-sidecar, no CDN; the split view serves
    # its start-up script as a file, ?script, so the page needs no inline script).
    path("api/schema/", schema_view, name="schema"),
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="swagger-ui"),
    path("healthz", views.healthz, name="healthz"),
    # Last: any other /api/ URL is a JSON 404, not an HTML page.
    re_path(r"^api(?:/.*)?$", api_not_found),
]
