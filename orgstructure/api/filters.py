"""django-filter pieces every app's API shares."""

from __future__ import annotations

import django_filters
from django import forms

MAX_ID = 2**63 - 1


class IdFilter(django_filters.Filter):
    """An object id: a whole number within the database's range (a bigger one is a 400, not an
    overflow error from the database driver)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
