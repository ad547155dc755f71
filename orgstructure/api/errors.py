"""One JSON shape for every API error: ``{"detail": str, "code": str, "fields": {...}}``."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from orgstructure.api.exceptions import PreconditionRequired, RequestTooLarge
from orgstructure.exceptions import ConflictError, MergeConflict, NotFoundError, ServiceError, StaleVersionError

logger = logging.getLogger(__name__)

__all__ = ["PreconditionRequired", "RequestTooLarge", "api_not_found", "error_body", "exception_handler"]


def _flatten(detail) -> dict | list | str:
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def _django_validation_fields(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        fields = {}
        for field, errors in exc.error_dict.items():
            messages = []
            for error in errors:
                nested = getattr(error, "error_dict", None)
                if nested:
                    messages.append(_django_validation_fields(error))
                else:
                    messages.extend(error.messages)
            fields["non_field_errors" if field == "__all__" else field] = messages
        return fields
    return {"non_field_errors": exc.messages}


def error_body(detail: str, code: str, fields: dict | None = None) -> dict:
    return {"detail": str(detail), "code": code, "fields": fields or {}}


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    if isinstance(exc, DjangoValidationError):
        fields = _django_validation_fields(exc)
        first = _first_message(fields) or _("Invalid input.")
        return Response({"detail": first, "code": "invalid", "fields": fields}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StaleVersionError):
        body = {"detail": str(exc.message), "code": exc.code, "fields": {}, "current_version": exc.current_version}
        return Response(body, status=status.HTTP_412_PRECONDITION_FAILED, headers={"ETag": f'"{exc.current_version}"'})
    if isinstance(exc, MergeConflict):
        body = {
            "detail": str(exc.message),
            "code": exc.code,
            "fields": exc.fields,
            "current_version": exc.current_version,
        }
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotFoundError):
        return Response(error_body(exc.message, exc.code), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, ObjectDoesNotExist):
        # A row read without a lock was removed meanwhile. Services lock what they decide on
        # (orgstructure.locking) and say so themselves; this is the net under that rule.
        logger.warning("Object gone during %s", context.get("request"), exc_info=exc)
        return Response(error_body(NotFoundError.default_message, "not_found"), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, IntegrityError):
        # Something the change refers to was removed or changed meanwhile (a foreign key or a
        # unique constraint checked at commit). Nothing was saved: the transaction rolled back.
        logger.warning("Integrity error during %s", context.get("request"), exc_info=exc)
        message = _(
            "This could not be saved: something it refers to was changed or removed in the meantime. "
            "Reload and try again."
        )
        return Response(error_body(message, "conflict"), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ConflictError | ServiceError):
        return Response({"detail": str(exc.message), "code": exc.code, "fields": {}}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(data) if isinstance(data, dict) else {"non_field_errors": _flatten(data)}
        response.data = {
            "detail": _first_message(fields) or _("Invalid input."),
            "code": "invalid",
            "fields": fields,
        }
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else data
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"detail": str(detail), "code": code, "fields": {}}
    return response


def _first_message(fields) -> str | None:
    if isinstance(fields, str):
        return fields
    if isinstance(fields, dict):
        for key, value in fields.items():
            found = _first_message(value)
            if found:
                return found if key == "non_field_errors" else f"{key}: {found}"
    if isinstance(fields, list):
        for value in fields:
            found = _first_message(value)
            if found:
                return found
    return None


def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any /api/ URL that no route matches: the JSON error shape instead of an HTML page
    (mounted last in ``orgstructure.urls``, so it works with DEBUG on and off)."""
    detail = _("No API endpoint at %(path)s.") % {"path": request.path}
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            detail = _("No API endpoint at %(path)s; did you mean %(path)s/ (with the trailing slash)?") % {
                "path": request.path
            }
    return JsonResponse(error_body(detail, "not_found"), status=404, json_dumps_params={"ensure_ascii": False})
