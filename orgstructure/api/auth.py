"""``POST /api/v1/auth/token/``: a username and password for the caller's API token."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from orgstructure.api.parsers import BoundedJSONParser
from orgstructure.api.people import PersonSerializer, person_of
from orgstructure.api.schema import ErrorResponses
from orgstructure.api.throttling import TokenObtainRateThrottle
from orgstructure.signin import is_locked_out, lockout_response
from orgstructure.tokens import api_token_issue


class TokenRequestSerializer(AuthTokenSerializer):
    username = serializers.CharField(label=_("Username"), write_only=True, max_length=150)
    password = serializers.CharField(
        label=_("Password"), style={"input_type": "password"}, trim_whitespace=False, write_only=True, max_length=4096
    )


class TokenObtainView(APIView):
    """The only endpoint open to anonymous callers; throttled per address (rate ``token``)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenObtainRateThrottle]
    parser_classes = [BoundedJSONParser, FormParser]

    @extend_schema(
        operation_id="auth_token_obtain",
        summary="Get your API token",
        description="Send a username and password; get the account's token (the same one on every call). "
        "Use it as `Authorization: Token <key>`.",
        request=TokenRequestSerializer,
        responses={
            200: OpenApiResponse(
                inline_serializer("TokenResponse", {"token": serializers.CharField(), "user": PersonSerializer()}),
                description="The token and whose it is.",
            ),
            **ErrorResponses.of(400, 415, 429),  # 429: throttled, or locked out after failed sign-ins
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        valid = serializer.is_valid()
        # django-axes marks the request it refused; here that is DRF's request, which the axes
        # middleware does not see, so the endpoint answers the lockout itself
        if is_locked_out(request) or is_locked_out(request._request):
            return lockout_response(request._request)
        if not valid:
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        token = api_token_issue(user=user, acting_user=user)
        return Response({"token": token.key, "user": person_of(user)})
