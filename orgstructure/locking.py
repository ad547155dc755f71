"""Locking the rows a service decides on (``SELECT … FOR UPDATE``, held until the transaction
ends). A check made on unlocked rows is a check of the past: lock first, then read and decide."""

from __future__ import annotations

from django.db.models import Model, QuerySet

from orgstructure.exceptions import NotFoundError


def lock_or_gone(queryset: QuerySet, pk, *, message=None) -> Model:
    """The row ``pk`` of ``queryset``, locked (only its own table's row, not the rows it joins);
    ``NotFoundError`` (404 in the API) when someone removed it since the caller fetched it."""
    obj = queryset.select_for_update(of=("self",)).filter(pk=pk).first()
    if obj is None:
        raise NotFoundError(message)
    return obj
