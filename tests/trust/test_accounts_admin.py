"""HR managers manage people, not superusers: in the user admin an HR manager edits names,
e-mail, the active flag (and memberships elsewhere), never ``is_superuser``, ``is_staff``,
groups or permissions, and never the password or token of an account with as many rights as
theirs or more. API token keys are never listed (the token admin is for superusers only)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.test import Client
from rest_framework.authtoken.models import Token

from orgstructure.accounts import user_may_manage, user_password_set, user_update
from orgstructure.tokens import api_token_issue
from tests.factories import UserFactory, hr_manager, org_reader
from tests.trust.figures import record
from tests.trust.world import db_fingerprint

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "An0ther-long-pass-2026"


@pytest.fixture
def people(db):
    return {
        "hr": hr_manager("hr"),
        "other_hr": hr_manager("hr2"),
        "root": UserFactory(username="root", is_staff=True, is_superuser=True),
        "member": UserFactory(username="member"),
        "reader": org_reader("reader"),
        "staff": UserFactory(username="staff", is_staff=True),
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_body(user, **overrides) -> dict:
    """What the change form posts for ``user`` as it is, plus ``overrides``."""
    body = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    if user.is_active:
        body["is_active"] = "on"
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


ESCALATIONS = {
    "is_superuser": {"is_superuser": "on"},
    "is_staff": {"is_staff": "on"},
    "groups": {"groups": ["__hr_group__"]},
    "user_permissions": {"user_permissions": ["__all_perms__"]},
}


def _resolve(extra: dict) -> dict:
    out = {}
    for key, value in extra.items():
        if value == ["__hr_group__"]:
            value = [str(Group.objects.get(name="HR managers").pk)]
        elif value == ["__all_perms__"]:
            value = [str(pk) for pk in Permission.objects.values_list("pk", flat=True)]
        out[key] = value
    return out


# --- the rule ------------------------------------------------------------------------------


def test_who_may_manage_whom(people):
    hr, other_hr, root = people["hr"], people["other_hr"], people["root"]
    assert user_may_manage(editor=root, target=hr) and user_may_manage(editor=root, target=root)
    assert user_may_manage(editor=hr, target=hr)  # their own account
    assert user_may_manage(editor=hr, target=people["member"])
    assert user_may_manage(editor=hr, target=people["reader"])  # fewer permissions
    assert user_may_manage(editor=hr, target=people["staff"])  # staff without permissions
    assert not user_may_manage(editor=hr, target=root)
    assert not user_may_manage(editor=hr, target=other_hr)  # a peer: only a superuser
    # a deactivated peer is still a peer (HR could reactivate them)
    other_hr.is_active = False
    other_hr.save(update_fields=["is_active"])
    assert not user_may_manage(editor=hr, target=other_hr)
    # a member given one permission HR lacks outranks HR in that respect
    people["member"].user_permissions.add(Permission.objects.get(codename="change_group"))
    member = User.objects.get(pk=people["member"].pk)
    assert not user_may_manage(editor=hr, target=member)


@pytest.mark.parametrize("field", sorted(ESCALATIONS))
def test_the_service_refuses_privileged_fields_to_non_superusers(people, field):
    hr = people["hr"]
    value = {"is_superuser": True, "is_staff": True, "groups": [], "user_permissions": []}[field]
    before = db_fingerprint()
    with pytest.raises(PermissionDenied):
        user_update(user=people["member"], changes={field: value}, acting_user=hr)
    assert db_fingerprint() == before


def test_the_service_refuses_a_peer_password_and_token(people):
    hr = people["hr"]
    for target in (people["other_hr"], people["root"]):
        with pytest.raises(PermissionDenied):
            user_password_set(user=target, password=NEW_PASSWORD, acting_user=hr)
        with pytest.raises(PermissionDenied):
            api_token_issue(user=target, acting_user=hr)
    assert not Token.objects.exists()
    root = User.objects.get(pk=people["root"].pk)
    assert not root.check_password(NEW_PASSWORD)


# --- the admin's change form ---------------------------------------------------------------


def test_the_change_form_hides_privileged_fields_from_hr(people):
    page = signed_in(people["hr"]).get(f"/admin/auth/user/{people['member'].pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{name}"' not in html, name
    assert 'name="email"' in html and 'name="is_active"' in html
    # a superuser sees them
    html = signed_in(people["root"]).get(f"/admin/auth/user/{people['member'].pk}/change/").content.decode()
    assert 'name="is_superuser"' in html and 'name="user_permissions"' in html


@pytest.mark.parametrize("field", sorted(ESCALATIONS))
@pytest.mark.parametrize("target", ["hr", "member"])
def test_a_crafted_post_from_hr_changes_nothing(people, field, target):
    # given HR's own change form or a member's, posted with a privileged field added
    user = people[target]
    body = change_body(user, first_name="Renamed", **_resolve(ESCALATIONS[field]))
    client = signed_in(people["hr"])
    before = db_fingerprint()

    response = client.post(f"/admin/auth/user/{user.pk}/change/", body)

    assert response.status_code == 403
    assert db_fingerprint() == before
    user.refresh_from_db()
    assert not user.is_superuser and user.first_name != "Renamed"
    record("crafted admin POSTs refused (privilege escalation)")


def test_hr_edits_a_members_name_email_and_active_flag(people):
    member = people["member"]
    body = change_body(member, first_name="Ada", email="ada@example.com", is_active=None)

    response = signed_in(people["hr"]).post(f"/admin/auth/user/{member.pk}/change/", body)

    assert response.status_code == 302, response.content[:2000]
    member.refresh_from_db()
    assert (member.first_name, member.email, member.is_active) == ("Ada", "ada@example.com", False)


@pytest.mark.parametrize("target", ["root", "other_hr"])
def test_hr_cannot_edit_a_superuser_or_another_hr_manager(people, target):
    user = people[target]
    client = signed_in(people["hr"])
    before = db_fingerprint()

    page = client.get(f"/admin/auth/user/{user.pk}/change/")
    assert page.status_code == 200 and 'name="email"' not in page.content.decode()  # view only
    response = client.post(f"/admin/auth/user/{user.pk}/change/", change_body(user, email="hr@evil.example"))
    assert response.status_code == 403
    password = client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert password.status_code == 403
    assert client.get(f"/admin/auth/user/{user.pk}/password/").status_code == 403
    assert db_fingerprint() == before
    assert not User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_hr_sets_a_members_password_and_their_own(people):
    client = signed_in(people["hr"])
    for user in (people["member"], people["hr"]):
        response = client.post(
            f"/admin/auth/user/{user.pk}/password/",
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
        )
        assert response.status_code == 302, response.content[:2000]
        assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_a_superuser_grants_rights(people):
    member = people["member"]
    body = change_body(member, is_staff="on", **_resolve(ESCALATIONS["groups"]))

    response = signed_in(people["root"]).post(f"/admin/auth/user/{member.pk}/change/", body)

    assert response.status_code == 302, response.content[:2000]
    member = User.objects.get(pk=member.pk)
    assert member.is_staff and member.groups.filter(name="HR managers").exists()


def test_hr_adds_a_person_but_a_crafted_add_grants_nothing(people):
    client = signed_in(people["hr"])
    body = {"username": "newbie", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}

    assert client.post("/admin/auth/user/add/", {**body, "is_superuser": "on", "is_staff": "on"}).status_code == 403
    assert not User.objects.filter(username="newbie").exists()
    response = client.post("/admin/auth/user/add/", body)
    assert response.status_code == 302, response.content[:2000]
    newbie = User.objects.get(username="newbie")
    assert not newbie.is_superuser and not newbie.is_staff and not newbie.user_permissions.exists()


# --- tokens --------------------------------------------------------------------------------


def test_token_admin_is_for_superusers_and_never_lists_keys(people):
    tokens = [api_token_issue(user=people[name], acting_user=None).key for name in ("member", "hr", "root")]
    hr = people["hr"]
    # even an HR manager who somehow holds every token permission sees no token page
    hr.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=("authtoken", "orgstructure")))
    hr = User.objects.get(pk=hr.pk)
    client = signed_in(hr)
    admin_index = client.get("/admin/").content.decode()
    for url in ("/admin/orgstructure/apitoken/", f"/admin/orgstructure/apitoken/{people['member'].pk}/change/"):
        assert client.get(url).status_code == 403, url
    assert all(key not in admin_index for key in tokens)

    root = signed_in(people["root"])
    listing = root.get("/admin/orgstructure/apitoken/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "member" in html and all(key not in html for key in tokens)
    for page in (
        f"/admin/orgstructure/apitoken/{people['member'].pk}/change/",
        f"/admin/orgstructure/apitoken/{people['member'].pk}/delete/",
        f"/admin/orgstructure/apitoken/{people['member'].pk}/history/",
    ):
        response = root.get(page)
        assert response.status_code == 200, page
        assert tokens[0] not in response.content.decode(), page


def test_a_token_issued_in_the_admin_is_shown_once(people):
    root = signed_in(people["root"])
    response = root.post("/admin/orgstructure/apitoken/add/", {"user": people["reader"].pk}, follow=True)
    key = Token.objects.get(user=people["reader"]).key
    assert response.status_code == 200 and key in response.content.decode()
    assert key not in root.get("/admin/orgstructure/apitoken/").content.decode()
    assert key not in root.get("/admin/").content.decode()  # not in "Recent actions" either


def test_hr_cannot_deactivate_a_superuser_or_a_peer(people):
    from teams.services import person_set_active

    for target in (people["root"], people["other_hr"]):
        with pytest.raises(PermissionDenied):
            person_set_active(user=target, is_active=False, acting_user=people["hr"])
        assert User.objects.get(pk=target.pk).is_active
    person_set_active(user=people["member"], is_active=False, acting_user=people["hr"])
    assert not User.objects.get(pk=people["member"].pk).is_active
