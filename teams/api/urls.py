"""Routes of the teams app under /api/v1/ (included by orgstructure/api/urls.py)."""

from rest_framework.routers import SimpleRouter

from teams.api import views

router = SimpleRouter()
router.register("teams", views.TeamViewSet, basename="team")
router.register("core-duties", views.CoreDutyViewSet, basename="core-duty")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("project-groups", views.ProjectGroupViewSet, basename="project-group")
router.register("people", views.PersonViewSet, basename="person")

urlpatterns = router.urls
