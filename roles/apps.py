from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RolesConfig(AppConfig):
    name = "roles"
    verbose_name = _("Roles and duties")

    def ready(self):
        from roles.overlap import overlap_index_team_core
        from teams.services import on_core_duties_replaced

        on_core_duties_replaced(overlap_index_team_core)
