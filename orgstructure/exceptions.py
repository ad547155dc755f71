"""Errors that services raise, and that the API, the admin and the pages turn into messages.

Input problems are Django's ``ValidationError`` (400 / form error) and missing rights are
Django's ``PermissionDenied`` (403). The ones below say that the request was fine but the
world moved on: a stale version (412 in the API), a state that forbids the action (409), or the
object itself removed by someone else meanwhile (404).
"""

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    """A refusal with a message a person can act on and a stable machine-readable code."""

    code = "error"
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, code: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        super().__init__(str(self.message))


class StaleVersionError(ServiceError):
    """The editor saw an older version of the object than the one now stored."""

    code = "stale_version"
    default_message = _("This was changed by someone else since you opened it.")

    def __init__(self, message=None, *, current_version: int, changed_by: str | None = None):
        self.current_version = current_version
        self.changed_by = changed_by
        super().__init__(message)


class ConflictError(ServiceError):
    """The object is in a state that does not allow the action (e.g. deciding twice)."""

    code = "conflict"
    default_message = _("This action is not possible in the current state.")


class MergeConflict(ConflictError):
    """A change made from an older version touches duties that were also changed since, in
    another way: nothing was applied. ``conflicts`` are ``roles.merging.DutyConflict``s; the
    person deciding chooses per duty and sends the choices (resolutions) again."""

    code = "merge_conflict"
    default_message = _("Some duties were changed both here and since this was proposed: choose for each one.")

    def __init__(self, message=None, *, conflicts, current_version: int):
        self.conflicts = list(conflicts)
        self.current_version = current_version
        super().__init__(message)

    @property
    def fields(self) -> dict:
        """Duty id → ``{"detail", "base", "current", "proposed"}`` (``None`` where a side removed it)."""
        return {
            conflict.key: {"detail": str(conflict_detail(conflict)), **conflict.as_dict()}
            for conflict in self.conflicts
        }


def conflict_detail(conflict) -> str:
    if getattr(conflict, "reason", "") == "duplicate":
        return _("The proposal gives it the same text as another duty of the list: choose another text.")
    if conflict.current is None:
        return _("Removed since the proposal was made, and the proposal changes it.")
    if conflict.proposed is None:
        return _("Changed since the proposal was made, and the proposal removes it.")
    if conflict.base is None:
        return _("Added on both sides with different texts.")
    return _("Changed since the proposal was made, and the proposal changes it differently.")


class NotFoundError(ServiceError):
    """The object the action is about was removed by someone else in the meantime."""

    code = "not_found"
    default_message = _("This no longer exists: someone else removed it in the meantime.")
