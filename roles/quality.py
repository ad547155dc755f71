"""The seed's "clear and concise" rule as checks on a role's duty list (seed section 2:
"明确而简洁的职责能够帮助每位成员清楚自己的任务").

- **Too long**: a duty should read in one breath. The limit is 200 "units", where a CJK
  character counts 2.5 units and any other character one: 80 Chinese characters or
  200 Latin ones (an English sentence carries about 2.5 times as many characters as its
  Chinese rendering in the seed), and mixed text in proportion. The longest seed duty is
  27 Chinese / 92 English characters.
- **Near-duplicate**: two duties of the same role that say nearly the same thing
  (``roles.textsim`` similarity at or above 0.6; the overlap analysis lists them only with
  ``relation=same_role``).
- **Too many duties**: more than 10 (a list that long is no longer "clear").
- **No duties**: an active or draft role with an empty list.

``role_quality_issues(roles)`` checks many roles with one query, for the admin's role list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from roles.models import Duty, Role
from roles.textsim import _CJK_RE, similarity

DUTY_LENGTH_LIMIT_UNITS = 200
CJK_CHAR_UNITS = 2.5
MAX_DUTIES = 10
NEAR_DUPLICATE_THRESHOLD = 0.6


class IssueCode:
    TOO_LONG = "too_long"
    NEAR_DUPLICATE = "near_duplicate"
    TOO_MANY = "too_many_duties"
    NO_DUTIES = "no_duties"


ISSUE_LABELS = {
    IssueCode.TOO_LONG: gettext_lazy("Duty too long"),
    IssueCode.NEAR_DUPLICATE: gettext_lazy("Near-duplicate duties"),
    IssueCode.TOO_MANY: gettext_lazy("Too many duties"),
    IssueCode.NO_DUTIES: gettext_lazy("No duties"),
}


@dataclass(frozen=True)
class QualityIssue:
    code: str
    message: str
    positions: tuple[int, ...] = field(default=())  # the duty positions concerned (1-based)

    @property
    def label(self) -> str:
        return str(ISSUE_LABELS[self.code])


def text_length_units(text: str) -> float:
    """Length in units: CJK characters weigh ``CJK_CHAR_UNITS``, everything else 1."""
    cjk = len(_CJK_RE.findall(text))
    return cjk * CJK_CHAR_UNITS + (len(text) - cjk)


def duty_is_too_long(text: str) -> bool:
    return text_length_units(text) > DUTY_LENGTH_LIMIT_UNITS


def duty_list_issues(texts: Sequence[str]) -> list[QualityIssue]:
    """The issues of one duty list (texts in order; positions in messages are 1-based)."""
    issues: list[QualityIssue] = []
    if not texts:
        return [QualityIssue(IssueCode.NO_DUTIES, _("The role has no duties."))]
    if len(texts) > MAX_DUTIES:
        issues.append(
            QualityIssue(
                IssueCode.TOO_MANY,
                _("The role has %(count)d duties; keep it to %(max)d or fewer.")
                % {"count": len(texts), "max": MAX_DUTIES},
            )
        )
    for position, text in enumerate(texts, start=1):
        if duty_is_too_long(text):
            issues.append(
                QualityIssue(
                    IssueCode.TOO_LONG,
                    _("Duty %(n)d is too long (%(length)d characters); say it in one short sentence.")
                    % {"n": position, "length": len(text)},
                    (position,),
                )
            )
    for (i, a), (j, b) in combinations(enumerate(texts, start=1), 2):
        score = similarity(a, b)
        if score >= NEAR_DUPLICATE_THRESHOLD:
            issues.append(
                QualityIssue(
                    IssueCode.NEAR_DUPLICATE,
                    _("Duties %(a)d and %(b)d say nearly the same thing (similarity %(score)d%%); merge them.")
                    % {"a": i, "b": j, "score": round(score * 100)},
                    (i, j),
                )
            )
    return issues


def role_quality_issues(roles: Iterable[Role | int]) -> dict[int, list[QualityIssue]]:
    """Issues per role id for many roles at once (one query), e.g. a page of the admin list.
    Every given role has an entry (an empty list when its duties are fine)."""
    role_ids = [r.pk if isinstance(r, Role) else int(r) for r in roles]
    texts: dict[int, list[str]] = defaultdict(list)
    for role_id, text in (
        Duty.objects.filter(role_id__in=role_ids).order_by("role_id", "position").values_list("role_id", "text")
    ):
        texts[role_id].append(text)
    return {role_id: duty_list_issues(texts.get(role_id, [])) for role_id in role_ids}
