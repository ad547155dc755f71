"""API tokens for scripts: the one place that issues them (the token endpoint and
``manage.py issue_token`` both call it; the admin's Token pages are rest_framework's own)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from orgstructure.authz import require_permission


@transaction.atomic
def api_token_issue(*, user, acting_user, rotate: bool = False) -> Token:
    """The user's token, created if missing; ``rotate`` replaces it (the old key stops working).

    A person may get their own token; issuing one for someone else needs ``authtoken.add_token``.
    ``acting_user=None`` is the operator on the server (``manage.py issue_token``)."""
    if acting_user is not None and acting_user.pk != user.pk:
        require_permission(acting_user, "authtoken.add_token")
    if not user.is_active:
        raise ValidationError(_("%(user)s is inactive; activate the account first.") % {"user": user.get_username()})
    if rotate:
        Token.objects.filter(user=user).delete()
    token, _created = Token.objects.get_or_create(user=user)
    return token
