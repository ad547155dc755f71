"""Query parameters of API requests checked against the OpenAPI document that describes them.

DRF serializers and django-filter treat an empty value (``?archived=``) as "not given" and a
repeated one (``?depth=1&depth=2``) as its last copy, and DRF ignores a page size that is not a
number. For a script that is a silent surprise: the list it gets is not the one it asked for.
Here every query parameter that an operation declares is checked against its declared type
(integer, number, boolean, enum, array) before the view runs, so a wrong one is a 400 that names
it. Parameters an operation does not declare are left to the view, as before.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.fields import BooleanField

_lock = threading.Lock()
_operations: list[tuple[re.Pattern, dict[str, dict[str, dict[str, Any]]]]] | None = None
_BOOLEAN_WORDS = {str(v) for v in (*BooleanField.TRUE_VALUES, *BooleanField.FALSE_VALUES) if isinstance(v, str)}
_INTEGER = re.compile(r"-?[0-9]{1,18}")


def _load() -> list[tuple[re.Pattern, dict[str, dict[str, dict[str, Any]]]]]:
    """(path regex, {method: {parameter name: schema}}) for every path of the document, built once
    per process (the document does not change while it runs)."""
    global _operations
    if _operations is None:
        with _lock:
            if _operations is None:
                from drf_spectacular.generators import SchemaGenerator

                document = SchemaGenerator().get_schema(request=None, public=True)
                components = document.get("components", {}).get("schemas", {})
                table = []
                for path, item in document.get("paths", {}).items():
                    pattern = re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$")
                    methods = {}
                    for method, operation in item.items():
                        params = {
                            p["name"]: _resolve(p.get("schema", {}), components)
                            for p in operation.get("parameters", [])
                            if p.get("in") == "query"
                        }
                        methods[method.upper()] = params
                    table.append((pattern, methods))
                _operations = table
    return _operations


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref")
    if ref:
        return _resolve(components.get(ref.rsplit("/", 1)[-1], {}), components)
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0], components)
    return schema


def _problem(value: str, schema: dict) -> str | None:
    kind = schema.get("type")
    if "enum" in schema and value not in [str(v) for v in schema["enum"]]:
        return _("Choose one of: %(choices)s.") % {"choices": ", ".join(str(v) for v in schema["enum"])}
    if kind == "integer":
        if not _INTEGER.fullmatch(value):
            return _("Give a whole number.")
        number = int(value)
    elif kind == "number":
        try:
            number = float(value)
        except ValueError:
            return _("Give a number.")
        if not math.isfinite(number):
            return _("Give a number.")
    elif kind == "boolean":
        return None if value in _BOOLEAN_WORDS else _("Give true or false.")
    else:
        return None
    if "minimum" in schema and number < schema["minimum"]:
        return _("Give at least %(min)s.") % {"min": schema["minimum"]}
    if "maximum" in schema and number > schema["maximum"]:
        return _("Give at most %(max)s.") % {"max": schema["maximum"]}
    return None


def query_errors(path: str, method: str, query) -> dict[str, list[str]]:
    """``{name: [message]}`` for each declared query parameter of the operation that does not
    match its declared type; empty when all are fine (or the path is not in the document)."""
    for pattern, methods in _load():
        if pattern.match(path):
            declared = methods.get(method.upper(), {})
            break
    else:
        return {}
    errors: dict[str, list[str]] = {}
    for name, values in query.lists():
        schema = declared.get(name)
        if schema is None:
            continue
        if schema.get("type") == "array":
            item_schema = schema.get("items", {})
            items = [part for value in values for part in value.split(",")]
        else:
            if len(values) > 1:
                errors[name] = [_("Give this parameter once.")]
                continue
            item_schema, items = schema, values
        if item_schema.get("type") in ("integer", "number", "boolean") or "enum" in item_schema:
            for item in items:
                problem = _("Give a value, or leave the parameter out.") if item == "" else _problem(item, item_schema)
                if problem:
                    errors[name] = [problem]
                    break
    return errors
