"""PERSON = ``{"id", "username", "name"}``: how every API response names a person."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers


def person_name(username: str, first_name: str = "", last_name: str = "") -> str:
    return f"{first_name or ''} {last_name or ''}".strip() or username


def person_dict(user_id: int, username: str, first_name: str = "", last_name: str = "") -> dict:
    return {"id": user_id, "username": username, "name": person_name(username, first_name, last_name)}


def person_of(user) -> dict | None:
    if user is None:
        return None
    return person_dict(user.pk, user.get_username(), user.first_name, user.last_name)


@extend_schema_serializer(component_name="PersonRef")
class PersonSerializer(serializers.Serializer):
    """A person: ``name`` is the full name, or the username when none is set."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()

    def to_representation(self, instance):
        if isinstance(instance, dict):
            return instance
        return person_of(instance)
