"""DRF permission classes shared by every app's API.

Reads need an authenticated, active account; writes need the HR manager's model permission
(checked again, on the object, by the service). Objects a caller may not see are filtered out
of the view's queryset, so they get 404; visible objects they may not change get 403.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from teams.permissions import is_hr_manager


class IsActiveAuthenticated(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class ReadOnlyOrHRManager(IsActiveAuthenticated):
    """Anyone signed in may read; only HR managers may write."""

    message = _("Only HR managers can change this.")

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or is_hr_manager(request.user)


class ReadOnlyOrHRManagerOnObject(IsActiveAuthenticated):
    """Like ``ReadOnlyOrHRManager``, but a write to one object is judged after the object is
    looked up in the caller's visible queryset: an object they may not see is a 404 (its
    existence is not revealed), one they see but may not change a 403. Writes without an
    object (create) need an HR manager straight away."""

    message = _("Only HR managers can change this.")

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS or getattr(view, "detail", False):
            return True
        return is_hr_manager(request.user)

    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or is_hr_manager(request.user)
