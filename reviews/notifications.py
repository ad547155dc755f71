"""Mails about reviews and suggestions. Services call these inside their transaction; each one
only queues a ``transaction.on_commit`` callback, so nothing is sent for a change that rolls
back, and the mail is built from what was committed. Sent through Django's mail backend."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from teams.permissions import HR_MANAGERS_GROUP

logger = logging.getLogger(__name__)


def _link(name: str, *args) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def _render(template: str, context: dict) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        # Plain text: the "mail" template engine does not HTML-escape (settings.TEMPLATES).
        text = render_to_string(f"reviews/email/{template}.txt", context, using="mail").strip()
    subject, _sep, body = text.partition("\n")
    return " ".join(subject.split()), body.strip() + "\n"


def _send(messages: list[EmailMessage]) -> None:
    if not messages:
        return
    try:
        get_connection().send_messages(messages)
    except Exception:  # a mail server outage must not undo a committed decision
        logger.exception("Could not send %d review mails", len(messages))


def _message(template: str, context: dict, to: list[str]) -> EmailMessage:
    subject, body = _render(template, context)
    return EmailMessage(subject=subject, body=body, to=to)


def _hr_addresses() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, groups__name=HR_MANAGERS_GROUP).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def cycle_opened(*, cycle_id: int) -> None:
    """One mail per reviewer, listing the roles they review."""

    def build_and_send():
        from reviews.models import ReviewCycle, RoleReview

        cycle = ReviewCycle.objects.get(pk=cycle_id)
        by_reviewer = defaultdict(list)
        reviews = RoleReview.objects.filter(cycle=cycle, reviewer__isnull=False).select_related(
            "reviewer", "role__team"
        )
        for review in reviews.exclude(reviewer__email="").filter(reviewer__is_active=True):
            by_reviewer[review.reviewer].append(review)
        _send(
            [
                _message(
                    "cycle_opened",
                    {"cycle": cycle, "reviewer": reviewer, "reviews": items, "link": _link("reviews:my_reviews")},
                    [reviewer.email],
                )
                for reviewer, items in by_reviewer.items()
            ]
        )

    transaction.on_commit(build_and_send)


def review_submitted(*, review_id: int) -> None:
    def build_and_send():
        from reviews.models import RoleReview

        review = RoleReview.objects.select_related("cycle", "role__team", "reviewer").get(pk=review_id)
        to = _hr_addresses()
        if to:
            _send([_message("review_submitted", {"review": review, "link": _link("reviews:review", review.pk)}, to)])

    transaction.on_commit(build_and_send)


def review_sent_back(*, review_id: int) -> None:
    def build_and_send():
        from reviews.models import RoleReview

        review = RoleReview.objects.select_related("cycle", "role", "reviewer").get(pk=review_id)
        if review.reviewer and review.reviewer.email:
            context = {"review": review, "link": _link("reviews:review", review.pk)}
            _send([_message("review_sent_back", context, [review.reviewer.email])])

    transaction.on_commit(build_and_send)


def suggestion_decided(*, suggestion_id: int) -> None:
    def build_and_send():
        from reviews.models import Suggestion

        suggestion = Suggestion.objects.select_related("role", "author").get(pk=suggestion_id)
        if suggestion.author and suggestion.author.email and suggestion.author.is_active:
            context = {"suggestion": suggestion, "link": _link("reviews:suggestion", suggestion.pk)}
            _send([_message("suggestion_decided", context, [suggestion.author.email])])

    transaction.on_commit(build_and_send)


def review_reminders(*, review_ids: list[int], today: dt.date) -> None:
    """One reminder per reviewer, listing their reviews that are due soon or overdue."""

    def build_and_send():
        from reviews.models import RoleReview

        by_reviewer = defaultdict(list)
        reviews = RoleReview.objects.filter(pk__in=review_ids).select_related("reviewer", "cycle", "role__team")
        for review in reviews.order_by("cycle__due_on", "pk"):
            if review.reviewer and review.reviewer.email and review.reviewer.is_active:
                review.overdue = review.cycle.due_on < today
                by_reviewer[review.reviewer].append(review)
        _send(
            [
                _message(
                    "review_reminder",
                    {"reviewer": reviewer, "reviews": items, "today": today, "link": _link("reviews:my_reviews")},
                    [reviewer.email],
                )
                for reviewer, items in by_reviewer.items()
            ]
        )

    transaction.on_commit(build_and_send)
