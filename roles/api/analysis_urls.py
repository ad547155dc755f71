"""Routes of the duty analysis under /api/v1/analysis/ (included by orgstructure/api/urls.py)."""

from django.urls import path

from roles.api import analysis

urlpatterns = [
    path("coverage/", analysis.CoverageView.as_view(), name="analysis-coverage"),
    path("overlaps/", analysis.OverlapsView.as_view(), name="analysis-overlaps"),
    path("overlaps/<int:pk>/intended/", analysis.OverlapIntendedView.as_view(), name="analysis-overlap-intended"),
]
