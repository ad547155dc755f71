"""Recording changes for the change feed. Services call ``change_record`` inside their
transaction, next to the write it describes."""

from __future__ import annotations

from typing import Any

from django.db import connection

from orgstructure.models import ChangeEvent

# Any constant: the key of the PostgreSQL advisory lock that orders change events.
_CHANGE_FEED_LOCK = 7_200_431


def change_record(
    *, action: str, obj, acting_user, team=None, role=None, data: dict[str, Any] | None = None
) -> ChangeEvent:
    """``action`` is ``<entity>.<verb>``, e.g. ``role.duties_replaced`` or ``team.moved``;
    ``team`` and ``role`` are instances or ids (for the feed's visibility filter)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # Ids come from a sequence when the row is inserted, not when it commits: without this,
        # a transaction that took id 10 could commit after one that took id 11, and a feed
        # reader already past 11 would never see 10. Holding a transaction-level lock from the
        # insert to the commit makes ids visible in order. (SQLite has one writer at a time.)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHANGE_FEED_LOCK])
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


# What of a person the org chart shows: a change to one of these changes the chart's ETag. (The
# active flag changes through teams.services.person_set_active, which records person.deactivated
# or person.reactivated itself.)
PERSON_SHOWN_FIELDS = ("username", "first_name", "last_name")


def person_snapshot(person) -> dict[str, Any]:
    return {field: getattr(person, field) for field in PERSON_SHOWN_FIELDS}


def person_change_record(*, person, before: dict[str, Any], acting_user) -> ChangeEvent | None:
    """Record ``person.updated`` when what the org chart shows of a person (name, username)
    changed since ``before`` (``person_snapshot`` taken before the save). Whatever saves a person
    calls this in the same transaction (the admin's person form does)."""
    changed = sorted(field for field, value in person_snapshot(person).items() if before.get(field) != value)
    if not changed:
        return None
    return change_record(
        action="person.updated",
        obj=person,
        acting_user=acting_user,
        data={"fields": changed, "is_active": person.is_active},
    )
