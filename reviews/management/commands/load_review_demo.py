"""Demo data for `make run`: an open review cycle with some reviews submitted (one approved,
one revised, one sent back) and a few suggestions, so that a newcomer sees the workflows at once.

Needs the seed organisation (`load_org_template ecommerce`) and the demo accounts
(`create_demo_accounts`: hr, lead-<team slug>, member-<team slug>). Goes through the same
services as everything else; idempotent (a second run finds the demo cycle and does nothing).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from reviews import services
from reviews.models import ReviewCycle, RoleReview
from roles.models import Role

DEMO_CYCLE_NAME = "Demo: quarterly duty review"
TEAMS = ("product", "operations", "marketing", "customer-service", "technology")

# (zh-hans, en) texts: the seed organisation is loaded in one of the two languages.
TEXTS = {
    "pm_new_duty": (
        "与客服团队每月复盘用户反馈,形成产品改进清单。",
        "Reviews user feedback with customer service monthly; keeps a product improvement list.",
    ),
    "pm_comment": (
        "上线后的数据监控更重要,放在前面;增加与客服的反馈复盘。",
        "Post-launch monitoring matters most, so it goes first; adds a feedback review with customer service.",
    ),
    "ops_comment": ("职责仍然适用。", "The duties still apply."),
    "mkt_comment": ("职责仍然适用。", "The duties still apply."),
    "cs_comment": ("建议保持不变。", "Keep as they are."),
    "cs_send_back": (
        "请考虑加入“将用户反馈同步给产品团队”的职责。",
        "Please consider adding a duty to pass user feedback on to the product team.",
    ),
    "sug_cs_text": (
        "将高频问题整理成知识库文章,减少重复咨询。",
        "Turns frequent questions into knowledge-base articles to cut repeat enquiries.",
    ),
    "sug_cs_why": (
        "技术支持每周都收到同样的问题转单,知识库能让客服直接解决。",
        "Tech support gets the same escalations every week; a knowledge base lets service solve them first-hand.",
    ),
    "sug_dev_text": (
        "参与技术架构设计,提升系统的性能、安全性与可观测性。",
        "Takes part in architecture design; improves performance, security and observability.",
    ),
    "sug_dev_why": (
        "线上问题排查困难,需要把可观测性写进职责。",
        "Production problems are hard to trace; observability belongs in the duties.",
    ),
    "sug_ops_why": (
        "运营专员和市场专员的促销职责有重叠,建议明确分工。",
        "The operations and marketing specialists overlap on promotions; the split should be made explicit.",
    ),
    "reject_note": (
        "已在岗位说明之外通过项目小组处理。",
        "Handled by a cross-team project group instead of the role description.",
    ),
}


def text(key: str, zh: bool) -> str:
    return TEXTS[key][0 if zh else 1]


class Command(BaseCommand):
    help = "Load the review demo: an open cycle with submitted reviews and a few suggestions (idempotent)."

    def handle(self, *args, **options):
        if not settings.ALLOW_DEMO_DATA:
            raise CommandError("Demo data is off (ALLOW_DEMO_DATA is not set); refusing to load it.")
        if ReviewCycle.objects.filter(name=DEMO_CYCLE_NAME).exists():
            self.stdout.write("The review demo is already loaded: nothing changed.")
            return
        users = self._users()
        roles = {team: Role.objects.filter(team__slug=team, status="active").order_by("pk").first() for team in TEAMS}
        missing = [team for team, role in roles.items() if role is None]
        if missing:
            raise CommandError(
                f"No active role in team(s) {', '.join(missing)}. Run `manage.py load_org_template ecommerce` first."
            )
        zh = any("\u4e00" <= ch <= "\u9fff" for ch in roles["product"].title)
        with transaction.atomic():
            summary = self._load(users, roles, zh)
        self.stdout.write(self.style.SUCCESS(summary))

    def _users(self) -> dict:
        names = ["hr"] + [f"{kind}-{team}" for team in TEAMS for kind in ("lead", "member")]
        found = {u.username: u for u in get_user_model().objects.filter(username__in=names, is_active=True)}
        missing = [name for name in names if name not in found]
        if missing:
            raise CommandError(
                f"Demo accounts are missing: {', '.join(missing)}. Run `manage.py create_demo_accounts` first "
                "(it creates hr, lead-<team> and member-<team>)."
            )
        return found

    def _load(self, users, roles, zh: bool) -> str:
        hr = users["hr"]
        today = timezone.localdate()
        cycle = services.review_cycle_create(
            name=DEMO_CYCLE_NAME,
            starts_on=today - dt.timedelta(days=7),
            due_on=today + dt.timedelta(days=14),
            acting_user=hr,
        )
        services.review_cycle_open(cycle=cycle, acting_user=hr)

        def review(team):
            r = RoleReview.objects.select_related("role").get(cycle=cycle, role=roles[team])
            return r, (r.reviewer or hr)

        # Product: revised (monitoring first, one new duty) — waiting for HR's decision.
        r, who = review("product")
        duties = list(r.role.duties.order_by("position"))
        proposed = [duties[-1], *duties[:-1]]
        services.role_review_submit(
            review=r,
            outcome="revise",
            duties=[{"id": d.pk, "text": d.text, "serves": d.serves_id} for d in proposed]
            + [{"text": text("pm_new_duty", zh)}],
            comment=text("pm_comment", zh),
            acting_user=who,
        )
        # Operations: kept, and approved.
        r, who = review("operations")
        services.role_review_submit(review=r, outcome="keep", comment=text("ops_comment", zh), acting_user=who)
        services.role_review_approve(review=r, acting_user=hr)
        # Marketing: kept — waiting for HR.
        r, who = review("marketing")
        services.role_review_submit(review=r, outcome="keep", comment=text("mkt_comment", zh), acting_user=who)
        # Customer service: sent back with a note. Technology: still pending.
        r, who = review("customer-service")
        services.role_review_submit(review=r, outcome="keep", comment=text("cs_comment", zh), acting_user=who)
        services.role_review_send_back(review=r, note=text("cs_send_back", zh), acting_user=hr)

        # Suggestions, across teams.
        services.suggestion_create(
            role=roles["customer-service"],
            kind="add",
            proposed_text=text("sug_cs_text", zh),
            rationale=text("sug_cs_why", zh),
            acting_user=users["member-technology"],
        )
        dev = roles["technology"]
        second = dev.duties.order_by("position")[1:2].first()
        if second is not None:
            services.suggestion_create(
                role=dev,
                kind="change",
                duty=second,
                proposed_text=text("sug_dev_text", zh),
                rationale=text("sug_dev_why", zh),
                acting_user=users["member-technology"],
            )
        other = services.suggestion_create(
            role=roles["operations"],
            kind="other",
            rationale=text("sug_ops_why", zh),
            acting_user=users["member-marketing"],
        )
        services.suggestion_reject(suggestion=other, note=text("reject_note", zh), acting_user=hr)
        return (
            f"Loaded the review demo: cycle {DEMO_CYCLE_NAME!r} is open with {cycle.reviews.count()} reviews "
            "(2 waiting for HR, 1 approved, 1 sent back, 1 pending) and 3 suggestions (2 open, 1 rejected). "
            "Sign in as hr to decide, as lead-technology to review, as member-technology to follow suggestions."
        )
