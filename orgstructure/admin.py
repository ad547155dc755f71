from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("orgstructure administration")
admin.site.site_title = _("orgstructure")
admin.site.index_title = _("Teams, roles and duties")
