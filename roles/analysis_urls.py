"""Pages of the duty analysis and the HR dashboard (included at the site root)."""

from django.urls import path

from roles import analysis_views

app_name = "analysis"

urlpatterns = [
    path("analysis/coverage/", analysis_views.coverage_page, name="coverage"),
    path("analysis/overlaps/", analysis_views.overlaps_page, name="overlaps"),
    path("analysis/overlaps/<int:pk>/intended/", analysis_views.overlap_intended, name="overlap-intended"),
    path("dashboard/", analysis_views.dashboard, name="dashboard"),
]
