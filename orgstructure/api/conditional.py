"""Conditional requests: ``If-Match`` for writes that must not overwrite a change the caller
has not seen (the version is the ``ETag`` of the GET)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from orgstructure.api.exceptions import PreconditionRequired


def etag_for_version(version: int | str) -> str:
    return f'"{version}"'


def if_match_versions(request) -> list[int]:
    """The versions named in ``If-Match`` (``"3"``; a list ``"3", "4"`` is allowed).

    Absent → 428. ``*`` or a weak or malformed tag → 400: the point of the header is to name
    the version the caller saw."""
    raw = request.headers.get("If-Match")
    if raw is None or not raw.strip():
        raise PreconditionRequired()
    versions = []
    for part in raw.split(","):
        tag = part.strip()
        if tag.startswith('"') and tag.endswith('"') and len(tag) >= 2:
            tag = tag[1:-1]
        if not tag.isascii() or not tag.isdigit() or len(tag) > 18:
            raise ValidationError(
                {"If-Match": [_('If-Match must be the version you read, in quotes, e.g. If-Match: "3".')]},
                code="invalid",
            )
        versions.append(int(tag))
    return versions


def expected_version(request, *, current: int) -> int:
    """The version the caller says it saw: the current one if ``If-Match`` names it, else the
    first one named (the service then refuses it as stale, with a 412)."""
    versions = if_match_versions(request)
    return current if current in versions else versions[0]
