"""What a strict CSP (no 'unsafe-inline') would block, found in an HTML page or template."""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Script types that are data, not code (CSP does not run them).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "hx-get", "hx-post"}


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False
        self._script_has_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower(): value or "" for name, value in attrs}
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            kind = names.get("type", "").lower()
            self._in_script = kind not in DATA_SCRIPT_TYPES
            self._script_has_src = bool(names.get("src"))
            if self._in_script and not self._script_has_src:
                self.problems.append("inline <script> without src")
        for name, value in names.items():
            if name == "style":
                self.problems.append(f"style= attribute on <{tag}>")
            elif name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            elif name in URL_ATTRIBUTES and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(
                    ("javascript:", "vbscript:")):
                self.problems.append(f"{name}=javascript: on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self._script_has_src and data.strip():
            self.problems.append("<script src> with inline code too")


def csp_problems(html: str) -> list[str]:
    """Inline scripts and styles, style= attributes, event handlers and javascript: URLs in `html`."""
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.problems
