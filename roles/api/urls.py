"""Routes of the roles app under /api/v1/ (included by orgstructure/api/urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from roles.api import views

router = SimpleRouter()
router.register("roles", views.RoleViewSet, basename="role")

revisions = views.RoleRevisionViewSet

urlpatterns = [
    path("org-chart/", views.OrgChartView.as_view(), name="org-chart"),
    path("roles/<int:role_pk>/revisions/", revisions.as_view({"get": "list"}, detail=False), name="role-revision-list"),
    path(
        "roles/<int:role_pk>/revisions/<int:number>/",
        revisions.as_view({"get": "retrieve"}, detail=True),
        name="role-revision-detail",
    ),
    path(
        "roles/<int:role_pk>/revisions/<int:number>/restore/",
        revisions.as_view({"post": "restore"}, detail=True),
        name="role-revision-restore",
    ),
    *router.urls,
]
