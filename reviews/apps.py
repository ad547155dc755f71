from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews and suggestions")

    def ready(self):
        # Reviews follow the people who lead: teams' services call this when someone stops
        # leading (teams cannot import reviews; see teams.leadership).
        from reviews.services import role_reviews_find_leads, role_reviews_follow_leads
        from teams.leadership import register_leadership_handler, register_leadership_started_handler

        register_leadership_handler(role_reviews_follow_leads)
        register_leadership_started_handler(role_reviews_find_leads)
