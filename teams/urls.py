"""Team pages and the org chart's helpers (included at the site root by orgstructure/urls.py)."""

from django.urls import path

from teams import views

app_name = "teams"

urlpatterns = [
    path("teams/<slug:slug>/", views.team_detail, name="detail"),
    path("org/teams/<slug:slug>/subtree/", views.team_subtree, name="subtree"),
    path("org/chart.svg", views.chart_svg_download, name="chart-svg"),
]
