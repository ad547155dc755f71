"""DRF permission classes shared by every app's API.

Reads need an authenticated, active account; writes need the HR manager's model permission
(checked again, on the object, by the service). Objects a caller may not see are filtered out
of the view's queryset, so they get 404; visible objects they may not change get 403.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from teams.permissions import is_hr_manager


class IsActiveAuthenticated(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class ReadOnlyOrHRManager(IsActiveAuthenticated):
    """Anyone signed in may read; only HR managers may write."""

    message = "Only HR managers can change this."

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or is_hr_manager(request.user)
