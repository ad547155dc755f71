"""Recording changes for the change feed. Services call ``change_record`` inside their
transaction, next to the write it describes."""

from __future__ import annotations

from typing import Any

from orgstructure.models import ChangeEvent


def change_record(
    *, action: str, obj, acting_user, team=None, role=None, data: dict[str, Any] | None = None
) -> ChangeEvent:
    """``action`` is ``<entity>.<verb>``, e.g. ``role.duties_replaced`` or ``team.moved``;
    ``team`` and ``role`` are instances or ids (for the feed's visibility filter)."""
    return ChangeEvent.objects.create(
        action=action,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        object_repr=str(obj)[:300],
        actor=acting_user if acting_user is not None and acting_user.pk else None,
        team_id=getattr(team, "pk", team),
        role_id=getattr(role, "pk", role),
        data=data or {},
    )
