"""API tokens for scripts: the one place that issues them (the token endpoint and
``manage.py issue_token`` and the admin's API token pages call it).

Keys are stored as rest_framework's tokens (the endpoint promises scripts "the same token on
every call", so the key must be kept, not only a hash of it); they are shown to the person who
signs in for their own, to the operator of ``issue_token``, and once to the superuser who issues
one in the admin, and never listed: the admin's token pages are for superusers and show whose
tokens exist, not their keys."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from orgstructure.accounts import require_may_manage
from orgstructure.authz import require_permission


@transaction.atomic
def api_token_issue(*, user, acting_user, rotate: bool = False) -> Token:
    """The user's token, created if missing; ``rotate`` replaces it (the old key stops working).

    A person may get their own token; issuing one for someone else needs ``authtoken.add_token``.
    ``acting_user=None`` is the operator on the server (``manage.py issue_token``)."""
    if acting_user is not None and acting_user.pk != user.pk:
        require_permission(acting_user, "authtoken.add_token")
        require_may_manage(editor=acting_user, target=user)
    if not user.is_active:
        raise ValidationError(_("%(user)s is inactive; activate the account first.") % {"user": user.get_username()})
    if rotate:
        Token.objects.filter(user=user).delete()
    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def api_token_revoke(*, user, acting_user) -> None:
    """Delete the user's token (scripts using it get 401); their own, or anyone's for a superuser."""
    if acting_user is not None and acting_user.pk != user.pk:
        require_permission(acting_user, "authtoken.delete_token")
        require_may_manage(editor=acting_user, target=user)
    Token.objects.filter(user=user).delete()
