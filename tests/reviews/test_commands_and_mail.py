import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import transaction

from reviews import services
from reviews.management.commands.load_review_demo import DEMO_CYCLE_NAME, TEAMS
from reviews.models import ReviewCycle, ReviewState, RoleReview, Suggestion, SuggestionState
from teams.models import Team
from teams.services import membership_add
from tests.factories import UserFactory


def run(*args, **kwargs) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


def test_run_review_schedules_is_idempotent(org, django_capture_on_commit_callbacks):
    services.review_schedule_create(name="Quarterly", starts_on=dt.date(2026, 1, 1), acting_user=org.hr)
    with django_capture_on_commit_callbacks(execute=True):
        assert "Opened 'Quarterly 2026-01-01'" in run("run_review_schedules", "--today", "2026-01-03")
    with django_capture_on_commit_callbacks(execute=True):
        assert "nothing opened" in run("run_review_schedules", "--today", "2026-01-03")
    assert ReviewCycle.objects.count() == 1 and RoleReview.objects.count() == 3
    # one mail per reviewer with an address (the solo role has no reviewer)
    assert sorted(m.to[0] for m in mail.outbox) == ["boss@example.com", "lead-product@example.com"]
    assert "PM" in next(m.body for m in mail.outbox if m.to == ["lead-product@example.com"])


def test_run_review_schedules_rejects_a_bad_date(db):
    with pytest.raises(CommandError):
        call_command("run_review_schedules", "--today", "soon")


def test_reminders_before_and_after_the_due_date_once_a_day(org, cycle, django_capture_on_commit_callbacks):
    # cycle fixture: due 2026-01-31; the PM review is submitted, so only the developer's reviewer is reminded
    services.role_review_submit(
        review=RoleReview.objects.get(cycle=cycle, role=org.pm), outcome="keep", acting_user=org.lead
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert "about 0 reviews" in run("send_review_reminders", "--today", "2026-01-20")  # too early
    with django_capture_on_commit_callbacks(execute=True):
        assert "about 1 reviews" in run("send_review_reminders", "--today", "2026-01-29")  # due in 2 days
    with django_capture_on_commit_callbacks(execute=True):
        assert "about 0 reviews" in run("send_review_reminders", "--today", "2026-01-29")  # same day again
    with django_capture_on_commit_callbacks(execute=True):
        assert "about 1 reviews" in run("send_review_reminders", "--today", "2026-02-03")  # overdue
    assert [m.to for m in mail.outbox] == [["boss@example.com"], ["boss@example.com"]]
    assert "due on 2026-01-31" in mail.outbox[0].body
    assert "overdue since 2026-01-31" in mail.outbox[1].body


def test_mails_for_each_step(org, cycle, django_capture_on_commit_callbacks):
    review = RoleReview.objects.get(cycle=cycle, role=org.pm)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    assert [m.to for m in mail.outbox] == [["hr@example.com"]] and "PM" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        services.role_review_send_back(review=review, note="Think again", acting_user=org.hr)
    assert mail.outbox[-1].to == ["lead-product@example.com"] and "Think again" in mail.outbox[-1].body
    s = services.suggestion_create(role=org.pm, kind="other", rationale="r", acting_user=org.member)
    with django_capture_on_commit_callbacks(execute=True):
        services.suggestion_reject(suggestion=s, note="Not now", acting_user=org.hr)
    assert mail.outbox[-1].to == ["member-tech@example.com"] and "Not now" in mail.outbox[-1].body
    assert len(mail.outbox) == 3


def test_no_mail_when_the_transaction_rolls_back(org, cycle, django_capture_on_commit_callbacks):
    review = RoleReview.objects.get(cycle=cycle, role=org.pm)
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
        raise RuntimeError("something after the service failed")
    assert callbacks == [] and mail.outbox == []
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING


def test_mail_is_not_sent_before_commit(org, cycle, django_capture_on_commit_callbacks):
    review = RoleReview.objects.get(cycle=cycle, role=org.pm)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
        assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


@pytest.fixture
def demo_accounts(seed_org, hr):
    for slug in TEAMS:
        team = Team.objects.get(slug=slug)
        membership_add(user=UserFactory(username=f"lead-{slug}"), team=team, is_lead=True, acting_user=None)
        membership_add(user=UserFactory(username=f"member-{slug}"), team=team, acting_user=None)


def test_load_review_demo_is_idempotent(demo_accounts, settings):
    settings.ALLOW_DEMO_DATA = True
    assert "Loaded the review demo" in run("load_review_demo")
    assert "already loaded" in run("load_review_demo")
    cycle = ReviewCycle.objects.get(name=DEMO_CYCLE_NAME)
    states = sorted(cycle.reviews.values_list("state", flat=True))
    assert states == ["approved", "pending", "sent_back", "submitted", "submitted"]
    assert sorted(Suggestion.objects.values_list("state", flat=True)) == [
        SuggestionState.OPEN,
        SuggestionState.OPEN,
        SuggestionState.REJECTED,
    ]


def test_load_review_demo_refuses_without_permission_or_accounts(seed_org, settings):
    settings.ALLOW_DEMO_DATA = False
    with pytest.raises(CommandError, match="ALLOW_DEMO_DATA"):
        call_command("load_review_demo")
    settings.ALLOW_DEMO_DATA = True
    with pytest.raises(CommandError, match="create_demo_accounts"):
        call_command("load_review_demo")
    assert ReviewCycle.objects.count() == 0
