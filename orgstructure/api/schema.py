"""OpenAPI pieces every app's API shares: the JSON error body and the error responses an
operation can give, for ``extend_schema(responses={...})``.

    @extend_schema(responses={200: RoleSerializer, **ErrorResponses.write(412, 428)})
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every 4xx body: ``{"detail", "code", "fields"}`` (see ``orgstructure.api.errors``)."""

    detail = serializers.CharField(help_text="A message a person can act on (in the caller's language).")
    code = serializers.CharField(
        help_text="A stable machine-readable code, e.g. `invalid`, `not_authenticated`, `permission_denied`, "
        "`not_found`, `stale_version`, `precondition_required`, `conflict`, `throttled`."
    )
    fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Field name → list of messages (nested by index for list items); empty unless the input was invalid.",
    )


class StaleVersionErrorSerializer(ErrorSerializer):
    """412 body: the error plus the version now stored (also in the ``ETag`` header)."""

    current_version = serializers.IntegerField(
        help_text="The version now stored; send it in `If-Match` after reloading."
    )


class MergeConflictDutySerializer(serializers.Serializer):
    detail = serializers.CharField()
    base = serializers.JSONField(help_text="`{position, text, serves}` as the proposal saw it; null if added.")
    current = serializers.JSONField(help_text="`{position, text, serves}` now; null if removed since.")
    proposed = serializers.JSONField(help_text="`{position, text, serves}` in the proposal; null if it removes it.")


class MergeConflictErrorSerializer(ErrorSerializer):
    """409 ``merge_conflict`` body: ``fields`` maps each conflicting duty's id to its three versions."""

    fields = serializers.DictField(
        child=MergeConflictDutySerializer(),
        help_text="Duty id → its base, current and proposed versions. Send `resolutions` keyed by these ids.",
    )
    current_version = serializers.IntegerField(
        required=False,
        help_text="With `merge_conflict`: the role version the conflicts were computed against (send it as "
        "`expected_version` with the resolutions).",
    )


_DESCRIPTIONS = {
    400: "Invalid input: malformed JSON, wrong types, unknown ids, server-owned or unknown fields, bad query "
    "parameters.",
    401: "Not signed in: no or an invalid `Authorization: Token <key>` header (or session).",
    403: "Signed in, but not allowed to do this (writes need an HR manager), or a CSRF failure with a session.",
    404: "No such object, or one the caller may not see (e.g. another team's draft role).",
    409: "The object's state does not allow this (e.g. changing a retired role's duties).",
    412: "`If-Match` names an older version: someone changed the object since. Nothing was changed; the body "
    "and the `ETag` header carry the current version.",
    413: "The request body is too large.",
    415: "Unsupported `Content-Type`; send `application/json`.",
    428: "`If-Match` is required: send the version you read (the `ETag` of the GET) so a stale edit is refused.",
    429: "Too many requests; retry after the number of seconds in `Retry-After`.",
}


def _response(status: int) -> OpenApiResponse:
    serializer = StaleVersionErrorSerializer if status == 412 else ErrorSerializer
    return OpenApiResponse(response=serializer, description=_DESCRIPTIONS[status])


class ErrorResponses:
    """Error responses by kind of operation; pass extra status codes to add them."""

    @staticmethod
    def of(*statuses: int) -> dict[int, OpenApiResponse]:
        return {status: _response(status) for status in sorted(set(statuses))}

    @classmethod
    def list(cls, *extra: int) -> dict[int, OpenApiResponse]:
        """A filtered list: bad filter values (400), not signed in (401)."""
        return cls.of(400, 401, *extra)

    @classmethod
    def read(cls, *extra: int) -> dict[int, OpenApiResponse]:
        """One object: not signed in (401), not found or not visible (404)."""
        return cls.of(401, 404, *extra)

    @classmethod
    def create(cls, *extra: int) -> dict[int, OpenApiResponse]:
        return cls.of(400, 401, 403, *extra)

    @classmethod
    def write(cls, *extra: int) -> dict[int, OpenApiResponse]:
        """A change to an existing object."""
        return cls.of(400, 401, 403, 404, *extra)

    @classmethod
    def delete(cls, *extra: int) -> dict[int, OpenApiResponse]:
        return cls.of(401, 403, 404, *extra)


def merge_conflict_response() -> dict[int, OpenApiResponse]:
    """409 for a decision merged into a changed list: ``conflict`` (wrong state) or
    ``merge_conflict`` (duties changed on both sides: nothing applied)."""
    return {
        409: OpenApiResponse(
            response=MergeConflictErrorSerializer,
            description="`conflict`: the object's state does not allow this (then `fields` is empty). "
            "`merge_conflict`: some duties were changed both since the proposal and by it; nothing was applied. "
            "`fields` lists them (duty id → base, current, proposed); send `resolutions` to decide them.",
        )
    }
