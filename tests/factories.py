"""factory_boy factories for the domain. Roles with duties go through the services so that
versions and revisions are as in production."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from roles.models import Role, RoleStatus
from teams.models import Team, TeamDuty
from teams.permissions import HR_MANAGERS_GROUP, ORG_READERS_GROUP

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-for-tests-1")


def hr_manager(username: str = "hr", **kwargs):
    user = UserFactory(username=username, is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=HR_MANAGERS_GROUP))
    return user


def org_reader(username: str = "reader", **kwargs):
    user = UserFactory(username=username, **kwargs)
    user.groups.add(Group.objects.get(name=ORG_READERS_GROUP))
    return user


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    kind = "other"
    position = factory.Sequence(lambda n: n)


class TeamDutyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamDuty

    team = factory.SubFactory(TeamFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Core duty {n}")


class RoleFactory(factory.django.DjangoModelFactory):
    """A role without duties (version 0). Use ``role_with_duties`` for a versioned list."""

    class Meta:
        model = Role

    team = factory.SubFactory(TeamFactory)
    title = factory.Sequence(lambda n: f"Role {n}")
    slug = factory.Sequence(lambda n: f"role-{n}")
    status = RoleStatus.ACTIVE
    headcount = 1


def role_with_duties(*texts: str, team=None, **kwargs) -> Role:
    """A role whose duties were set through ``role_duties_replace`` (version 1, one revision)."""
    from roles.services import role_duties_replace

    role = RoleFactory(team=team or TeamFactory(), **kwargs)
    role_duties_replace(
        role=role,
        duties=[{"text": t} for t in (texts or ("First duty", "Second duty"))],
        expected_version=0,
        acting_user=None,
        source="admin",
    )
    role.refresh_from_db()
    return role
