"""Input checks that several services share."""

from __future__ import annotations

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
    text = " ".join(value.split())
    if not text:
        raise ValidationError(_("%(label)s cannot be empty.") % {"label": label}, code="blank")
    if len(text) > DUTY_TEXT_MAX_LENGTH:
        raise ValidationError(
            _("%(label)s is too long (%(length)d characters; at most %(max)d).")
            % {"label": label, "length": len(text), "max": DUTY_TEXT_MAX_LENGTH},
            code="max_length",
        )
    return text


def has_control_characters(value: str) -> bool:
    return any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in value)


def refuse_control_characters(instance, *fields: str) -> None:
    """For a model's ``clean()``: names and titles are one line of text; a control character
    (a terminal escape, a bell) would travel into exports, mails and logs."""
    errors = {
        field: [_("This contains control characters.")]
        for field in fields
        if isinstance(getattr(instance, field), str) and has_control_characters(getattr(instance, field))
    }
    if errors:
        raise ValidationError(errors, code="invalid")
