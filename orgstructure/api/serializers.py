"""Serializer pieces every app's API shares."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text."""

    default_error_messages = {"invalid": _("Must be text.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RejectUnknownFieldsMixin:
    """Fields the serializer does not accept (server-owned ones such as ``version``, or typos)
    are a 400 naming them, not silently dropped: a script that sends them learns at once that
    they had no effect. ``server_owned`` maps a field to a more specific message."""

    server_owned: dict[str, str] = {}

    def to_internal_value(self, data):
        if isinstance(data, dict):  # (anything else is refused by the serializer itself)
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [self.server_owned.get(name) or _("This field cannot be set here.")] for name in unknown}
                )
        return super().to_internal_value(data)
