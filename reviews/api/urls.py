from rest_framework.routers import SimpleRouter

from reviews.api import views

router = SimpleRouter()
router.register("review-schedules", views.ReviewScheduleViewSet, basename="review-schedule")
router.register("review-cycles", views.ReviewCycleViewSet, basename="review-cycle")
router.register("role-reviews", views.RoleReviewViewSet, basename="role-review")
router.register("suggestions", views.SuggestionViewSet, basename="suggestion")

urlpatterns = router.urls
