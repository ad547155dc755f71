"""One small organisation with every kind of caller and every object variant the trust tests
need: own team and another team, active, draft and retired roles, review cycles in each state,
role reviews and suggestions in each state. Everything is made through the services, as in
production, so versions, revisions, history and guardian permissions are real.

Objects that ``member`` (or ``lead``, for the other team) may not see carry a canary string in
their text: a response that contains it has leaked something."""

from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace

from django.apps import apps
from rest_framework.authtoken.models import Token

from reviews import services as review_services
from reviews.models import RoleReview
from roles.models import Duty, RoleStatus
from teams import services as team_services
from tests.factories import TeamDutyFactory, TeamFactory, UserFactory, hr_manager, org_reader, role_with_duties

# Hidden from ``member`` (a plain member of product) and from ``other_lead``.
SECRET = "CanaryProductSecret"
# Hidden from ``member`` and ``lead`` (both in product).
OPS_SECRET = "CanaryOperationsSecret"
PASSWORD = "pass-for-tests-1"

ACTORS = ("anonymous", "inactive", "member", "lead", "other_lead", "reader", "staff", "hr", "superuser")


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.hr = hr_manager("hr")
    w.other_hr = hr_manager("otherhr")  # a peer: HR manages people with fewer rights only
    w.reader = org_reader("reader")
    w.superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    w.staff = UserFactory(username="staff", is_staff=True)
    w.inactive = UserFactory(username="inactive", is_active=False)
    w.member = UserFactory(username="member")
    w.lead = UserFactory(username="lead")
    w.other_lead = UserFactory(username="otherlead")
    w.other_member = UserFactory(username="othermember", email=f"{OPS_SECRET.lower()}@example.com")
    w.anonymous = None

    w.company = TeamFactory(name="Company", slug="company", position=0)
    w.product = TeamFactory(name="Product", slug="product", parent=w.company, kind="product", position=1)
    w.design = TeamFactory(name="Design", slug="design", parent=w.product, position=1)  # no roles: archivable
    w.operations = TeamFactory(name="Operations", slug="operations", parent=w.company, kind="operations", position=2)
    w.old_team = TeamFactory(name="Old team", slug="old-team", archived=True, position=3)
    w.product_core = [
        TeamDutyFactory(team=w.product, position=1, text="Own the roadmap"),
        TeamDutyFactory(team=w.product, position=2, text="Talk to customers"),
    ]
    w.ops_core = [TeamDutyFactory(team=w.operations, position=1, text="Keep the shop running")]

    w.member_membership = team_services.membership_add(user=w.member, team=w.product, acting_user=None)
    w.lead_membership = team_services.membership_add(user=w.lead, team=w.product, is_lead=True, acting_user=None)
    w.other_lead_membership = team_services.membership_add(
        user=w.other_lead, team=w.operations, is_lead=True, acting_user=None
    )
    w.other_member_membership = team_services.membership_add(user=w.other_member, team=w.operations, acting_user=None)

    w.pm = role_with_duties("Write the PRD", "Coordinate launches", team=w.product, title="Product manager", slug="pm")
    w.analyst = role_with_duties("Analyse data", "Report weekly", team=w.product, title="Analyst", slug="analyst")
    w.designer = role_with_duties("Draw screens", "Test with users", team=w.product, title="Designer", slug="designer")
    w.writer = role_with_duties("Write docs", "Edit docs", team=w.product, title="Writer", slug="writer")
    w.ops_role = role_with_duties("Ship orders", "Count stock", team=w.operations, title="Shipper", slug="shipper")
    w.draft = role_with_duties(
        f"{SECRET} duty", team=w.product, title=f"{SECRET} role", slug="secret-draft", status=RoleStatus.DRAFT
    )
    w.ops_draft = role_with_duties(
        f"{OPS_SECRET} duty", team=w.operations, title=f"{OPS_SECRET} role", slug="ops-draft", status=RoleStatus.DRAFT
    )
    w.retired = role_with_duties("Old duty", team=w.product, title="Retired role", slug="retired")
    w.retired.status = RoleStatus.RETIRED
    w.retired.save(update_fields=["status"])

    w.group = team_services.project_group_create(name="Launch squad", acting_user=None)
    team_services.project_group_member_add(group=w.group, user=w.member, home_team=w.product, acting_user=None)
    w.archived_group = team_services.project_group_create(name="Old squad", acting_user=None)
    team_services.project_group_archive(group=w.archived_group, acting_user=None)

    w.schedule = review_services.review_schedule_create(
        name=f"{SECRET} schedule", starts_on=dt.date(2030, 1, 1), acting_user=None
    )
    day = dt.date(2026, 1, 1)
    w.closed_cycle = review_services.review_cycle_create(
        name="Closed cycle", starts_on=day, due_on=day, teams=[w.product], acting_user=None
    )
    review_services.review_cycle_open(cycle=w.closed_cycle, acting_user=None)
    review_services.review_cycle_close(cycle=w.closed_cycle, force=True, acting_user=None)
    w.not_reviewed = RoleReview.objects.get(cycle=w.closed_cycle, role=w.pm)
    w.cancelled_cycle = review_services.review_cycle_create(
        name="Cancelled cycle", starts_on=day, due_on=day, acting_user=None
    )
    review_services.review_cycle_cancel(cycle=w.cancelled_cycle, acting_user=None)
    w.draft_cycle = review_services.review_cycle_create(
        name=f"{SECRET} cycle", starts_on=dt.date(2026, 6, 1), due_on=dt.date(2026, 6, 30), acting_user=None
    )
    w.open_cycle = review_services.review_cycle_create(
        name="Open cycle", starts_on=dt.date(2026, 3, 1), due_on=dt.date(2026, 3, 31), acting_user=None
    )
    review_services.review_cycle_open(cycle=w.open_cycle, acting_user=None)

    def review(role):
        return RoleReview.objects.get(cycle=w.open_cycle, role=role)

    w.pending = review(w.pm)
    w.submitted = review_services.role_review_submit(
        review=review(w.analyst), outcome="keep", comment=f"{SECRET} comment", acting_user=w.lead
    )
    w.sent_back = review_services.role_review_submit(review=review(w.designer), outcome="keep", acting_user=w.lead)
    w.sent_back = review_services.role_review_send_back(review=w.sent_back, note="Look again", acting_user=w.hr)
    w.approved = review_services.role_review_submit(review=review(w.writer), outcome="keep", acting_user=w.lead)
    w.approved = review_services.role_review_approve(review=w.approved, acting_user=w.hr)
    w.ops_review = review(w.ops_role)

    def suggest(role, author, text, **kwargs):
        return review_services.suggestion_create(
            role=role, kind="add", proposed_text=text, rationale=kwargs.pop("rationale", "Because"), acting_user=author
        )

    w.accepted = suggest(w.pm, w.member, "Read the reviews")
    w.accepted = review_services.suggestion_accept(suggestion=w.accepted, acting_user=w.hr)
    w.open_suggestion = suggest(w.pm, w.member, "Talk to support weekly")  # on the current version
    w.rejected = suggest(w.pm, w.member, "Do everything")
    w.rejected = review_services.suggestion_reject(suggestion=w.rejected, note="No", acting_user=w.hr)
    w.withdrawn = suggest(w.pm, w.member, "Never mind")
    w.withdrawn = review_services.suggestion_withdraw(suggestion=w.withdrawn, acting_user=w.member)
    w.lead_suggestion = suggest(w.analyst, w.lead, "Share dashboards", rationale=f"{SECRET} rationale")
    w.ops_suggestion = suggest(w.ops_role, w.other_member, "Pack faster", rationale=f"{OPS_SECRET} rationale")

    for obj in (w.pm, w.analyst, w.designer, w.writer, w.ops_role, w.draft, w.ops_draft, w.retired):
        obj.refresh_from_db()
    w.pm_duty = Duty.objects.filter(role=w.pm).order_by("position").first()
    w.tokens = {
        name: Token.objects.get_or_create(user=getattr(w, name))[0].key for name in ACTORS if name != "anonymous"
    }
    return w


# Every table a request could write to: a denied or refused request must leave all of them as
# they were (rows and their history, change events, permissions, tokens, admin log entries).
def _snapshot_models():
    labels = ("teams", "roles", "reviews", "orgstructure", "guardian", "authtoken", "admin")
    models = [m for m in apps.get_models() if m._meta.app_label in labels]
    models += [apps.get_model("auth", "User"), apps.get_model("auth", "Group")]
    return sorted(set(models), key=lambda m: m._meta.label)


def db_fingerprint() -> str:
    """A digest of every row of every domain table (history included)."""
    digest = hashlib.sha256()
    for model in _snapshot_models():
        digest.update(model._meta.label.encode())
        for row in model._default_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def db_rows() -> dict[str, list]:
    """The same rows, readable: for the message of a failed comparison."""
    return {m._meta.label: list(m._default_manager.order_by("pk").values_list()) for m in _snapshot_models()}
