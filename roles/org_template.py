"""Organisation templates: a ready-made set of teams, core duties and roles, in several
languages. ``ecommerce`` is the organisation of the seed article (five teams, one key role each).

Loading goes through the same services as every other write and is idempotent: a team or role
that already exists (by slug) is left as it is, so running it twice changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from roles.models import RevisionSource, Role, RoleStatus
from roles.services import DutyInput, role_create
from teams.models import Team, TeamDuty
from teams.services import team_core_duties_replace, team_create

TEMPLATE_DIR = Path(__file__).resolve().parent / "org_templates"
TEMPLATE_LANGUAGES = ("zh-hans", "en")


@dataclass
class TemplateLoadReport:
    teams_created: list[str] = field(default_factory=list)
    teams_present: list[str] = field(default_factory=list)
    roles_created: list[str] = field(default_factory=list)
    roles_present: list[str] = field(default_factory=list)
    core_duties_created: int = 0
    duties_created: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.teams_created or self.roles_created or self.core_duties_created)


def org_template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATE_DIR.glob("*.json"))


def org_template_read(key: str) -> dict:
    if key not in org_template_names():
        raise ValidationError(
            _("Unknown template %(key)s; available: %(names)s") % {"key": key, "names": ", ".join(org_template_names())}
        )
    return json.loads((TEMPLATE_DIR / f"{key}.json").read_text(encoding="utf-8"))


@transaction.atomic
def org_template_load(*, key: str, lang: str, acting_user=None, parent: Team | None = None) -> TemplateLoadReport:
    """Create the template's teams, core duties, roles and duties (with their ``serves``
    links) in language ``lang``, under ``parent`` or at the top of the tree."""
    if lang not in TEMPLATE_LANGUAGES:
        raise ValidationError(
            _("Unknown language %(lang)s; use one of %(langs)s")
            % {"lang": lang, "langs": ", ".join(TEMPLATE_LANGUAGES)}
        )
    template = org_template_read(key)
    report = TemplateLoadReport()
    for spec in template["teams"]:
        team = Team.objects.filter(slug=spec["slug"]).first()
        if team is None:
            team = team_create(
                name=spec["name"][lang],
                slug=spec["slug"],
                kind=spec["kind"],
                description=spec.get("description", {}).get(lang, ""),
                parent=parent,
                acting_user=acting_user,
            )
            report.teams_created.append(team.slug)
        else:
            report.teams_present.append(team.slug)

        core = list(TeamDuty.objects.filter(team=team).order_by("position"))
        if not core:
            core = team_core_duties_replace(
                team=team, duties=[{"text": d[lang]} for d in spec["core_duties"]], acting_user=acting_user
            )
            report.core_duties_created += len(core)

        for role_spec in spec["roles"]:
            if Role.objects.filter(team=team, slug=role_spec["slug"]).exists():
                report.roles_present.append(f"{team.slug}/{role_spec['slug']}")
                continue
            duties = [
                DutyInput(
                    text=d[lang],
                    serves=core[d["serves"] - 1].pk if d.get("serves") and d["serves"] <= len(core) else None,
                )
                for d in role_spec["duties"]
            ]
            role_create(
                team=team,
                title=role_spec["title"][lang],
                slug=role_spec["slug"],
                purpose=role_spec.get("purpose", {}).get(lang, ""),
                headcount=role_spec.get("headcount", 1),
                status=RoleStatus.ACTIVE,
                duties=duties,
                reason=_("Loaded from the “%(key)s” template") % {"key": key},
                source=RevisionSource.TEMPLATE,
                acting_user=acting_user,
            )
            report.roles_created.append(f"{team.slug}/{role_spec['slug']}")
            report.duties_created += len(duties)
    return report
