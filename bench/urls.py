"""The app's URLs plus the bench's own: a constant JSON body (the framework's floor) and the
org chart built the usual DRF way (the baseline)."""

from django.http import HttpResponse
from django.urls import include, path

from bench.baseline import BaselineOrgChartView

# About the size of a role detail document.
CONSTANT_BODY = (
    b'{"id": 1, "team": 1, "team_slug": "team-1", "title": "Product Manager", "slug": "role-1", "purpose": "", '
    b'"headcount": 1, "status": "active", "version": 3, "created_at": "2026-01-01T00:00:00Z", '
    b'"updated_at": "2026-01-01T00:00:00Z", "duties": ['
    + b", ".join(
        b'{"id": %d, "position": %d, "text": "Own requirements analysis and roadmaps to lift conversion", '
        b'"serves": 1}' % (i, i)
        for i in range(1, 11)
    )
    + b"]}"
)


def constant_json(request):
    return HttpResponse(CONSTANT_BODY, content_type="application/json")


urlpatterns = [
    path("bench/constant/", constant_json),
    path("bench/baseline-org-chart/", BaselineOrgChartView.as_view()),
    path("", include("orgstructure.urls")),
]
