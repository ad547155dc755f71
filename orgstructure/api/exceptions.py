"""API errors that have no Django or service counterpart (rendered by ``orgstructure.api.errors``)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


class PreconditionRequired(exceptions.APIException):
    """428: a write that must say which version it saw (``If-Match``) did not."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send the If-Match header with the version you read (the ETag of the GET).")
    default_code = "precondition_required"
