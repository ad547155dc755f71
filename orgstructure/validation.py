"""Input checks that several services share."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from teams.models import DUTY_TEXT_MAX_LENGTH


def refuse_unknown_fields(fields: dict[str, Any], allowed: Iterable[str]) -> None:
    """Server-owned or unknown fields are refused, not silently dropped."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="read_only",
        )


def clean_duty_text(value: Any, *, label: str) -> str:
    """A duty text as stored: one line, single spaces, not empty, not too long, no control
    characters. Chinese, emoji and right-to-left text are welcome."""
    if not isinstance(value, str):
        raise ValidationError(_("%(label)s must be text.") % {"label": label}, code="invalid")
    if has_control_characters(value):
        raise ValidationError(_("%(label)s contains control characters.") % {"label": label}, code="invalid")
    text = " ".join(value.split())  # one line: line breaks and tabs become single spaces
    if not text:
        raise ValidationError(_("%(label)s cannot be empty.") % {"label": label}, code="blank")
    if not has_visible_characters(text):
        raise ValidationError(_("%(label)s has no visible characters.") % {"label": label}, code="blank")
    if len(text) > DUTY_TEXT_MAX_LENGTH:
        raise ValidationError(
            _("%(label)s is too long (%(length)d characters; at most %(max)d).")
            % {"label": label, "length": len(text), "max": DUTY_TEXT_MAX_LENGTH},
            code="max_length",
        )
    return text


def has_control_characters(value: str) -> bool:
    return any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in value)


# Characters that separate lines (or columns, in a CSV or a log line).
_LINE_BREAKS = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")
# Letters and symbols that render as nothing at all (fillers, blank patterns, selectors);
# zero-width spaces, joiners, the byte-order mark and the soft hyphen are format characters (Cf).
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e") | frozenset(map(chr, range(0xFE00, 0xFE10)))


def _is_invisible(ch: str) -> bool:
    return ch.isspace() or ch in _BLANK_CHARACTERS or unicodedata.category(ch) in ("Cf", "Cc")


def has_visible_characters(value: str) -> bool:
    return not all(_is_invisible(ch) for ch in value)


def duplicate_key(text: str) -> str:
    """What two texts must share to be the same for a duplicate check: case, runs of spaces and
    invisible characters (a zero-width space pasted from a document) do not count."""
    visible = "".join(" " if ch.isspace() else ch for ch in text if not (_is_invisible(ch) and not ch.isspace()))
    return " ".join(visible.split()).casefold()


def refuse_control_characters(instance, *fields: str) -> None:
    """For a model's ``clean()``: names and titles are one line of visible text. A control
    character (a terminal escape, a bell), a line break or a tab would travel into CSV rows,
    mail subjects and logs; a name of only invisible characters (zero-width spaces) looks empty
    everywhere it is shown."""
    errors = {}
    for field in fields:
        value = getattr(instance, field)
        if not isinstance(value, str) or not value:
            continue
        if any(ch in _LINE_BREAKS for ch in value):
            errors[field] = [_("This must be one line: no line breaks or tabs.")]
        elif has_control_characters(value):
            errors[field] = [_("This contains control characters.")]
        elif not has_visible_characters(value):
            errors[field] = [_("This has no visible characters.")]
    if errors:
        raise ValidationError(errors, code="invalid")
