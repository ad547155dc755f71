"""Build an admin POST from the change form as the browser would send it."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and "__prefix__" not in name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
                return
            self.data[name] = a.get("value", "")
        elif tag == "select" and name and "__prefix__" not in name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self.data[self._select] = value
        elif tag == "textarea" and name and "__prefix__" not in name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            self.data.setdefault(self._select, self._select_first or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data.removeprefix("\n") if not self.data[self._textarea] else data


def form_data(response, form_id: str) -> dict[str, str]:
    """The fields of the form ``form_id`` in a rendered page, with their current values."""
    parser = _FormFields(form_id)
    parser.feed(response.content.decode())
    assert parser.data, f"no form #{form_id} in the page"
    return parser.data
