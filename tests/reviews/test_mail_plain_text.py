"""Notification mails are plain text: names, titles and notes appear as typed, never
HTML-escaped (``&lt;``, ``&amp;``, ``&#x27;``, ``&quot;``), however hostile they look; and links in them
are absolute (SITE_URL)."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from reviews import services
from reviews.models import RoleReview

HOSTILE = 'R&D <b>"quoted"</b> it\'s'
ESCAPES = ("&lt;", "&gt;", "&amp;", "&#x27;", "&#39;", "&quot;")


def _assert_plain(message):
    for text in (message.subject, message.body):
        assert not any(escape in text for escape in ESCAPES), text
    assert "http://" in message.body or "https://" in message.body, message.body


def test_every_mail_shows_hostile_text_as_typed(org, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://org.example.com"
    org.pm.title = f"PM {HOSTILE}"
    org.pm.save(update_fields=["title"])
    org.product.name = f"Product {HOSTILE}"
    org.product.save(update_fields=["name"])
    org.lead.first_name, org.lead.last_name = "Lin & Co", "<Li>"
    org.lead.save(update_fields=["first_name", "last_name"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.review_cycle_create(
            name=f"Q1 {HOSTILE}", starts_on=dt.date(2026, 1, 1), due_on=dt.date(2026, 1, 31), acting_user=org.hr
        )
        services.review_cycle_open(cycle=draft, acting_user=org.hr)
    review = RoleReview.objects.get(cycle=draft, role=org.pm)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_review_reminders", "--today", "2026-02-03", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with django_capture_on_commit_callbacks(execute=True):
        services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    with django_capture_on_commit_callbacks(execute=True):
        services.role_review_send_back(review=review, note=f"Think again: {HOSTILE}", acting_user=org.hr)
    suggestion = services.suggestion_create(role=org.pm, kind="other", rationale="r", acting_user=org.member)
    with django_capture_on_commit_callbacks(execute=True):
        services.suggestion_reject(suggestion=suggestion, note=f"Not now: {HOSTILE}", acting_user=org.hr)

    templates_seen = len(mail.outbox)
    assert templates_seen >= 5, [m.subject for m in mail.outbox]  # opened, reminder, submitted, sent back, decided
    for message in mail.outbox:
        _assert_plain(message)
    bodies = "\n".join(m.subject + "\n" + m.body for m in mail.outbox)
    assert f"PM {HOSTILE}" in bodies
    assert f"Think again: {HOSTILE}" in bodies and f"Not now: {HOSTILE}" in bodies
    assert f"Q1 {HOSTILE}" in bodies
    assert "Lin & Co <Li>" in bodies


@pytest.mark.parametrize("site_url", ["https://org.example.com", "https://org.example.com/"])
def test_links_are_absolute(org, cycle, django_capture_on_commit_callbacks, settings, site_url):
    settings.SITE_URL = site_url
    review = RoleReview.objects.get(cycle=cycle, role=org.pm)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    assert f"https://org.example.com/reviews/{review.pk}/" in mail.outbox[0].body
