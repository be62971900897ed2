"""The web app and the session reports use the printed kit's colour-blind-safe type colours."""

from __future__ import annotations

import re
from pathlib import Path

from app.printing.theme import TYPE_STYLES

ROOT = Path(__file__).resolve().parents[2]


def _css_vars(text: str) -> dict[str, str]:
    return {name: value.lower() for name, value in re.findall(r"--c-([a-z]+):\s*(#[0-9a-fA-F]{6})", text)}


def test_app_css_type_colours_are_the_print_scheme() -> None:
    colours = _css_vars((ROOT / "app/web/static/app.css").read_text(encoding="utf-8"))
    assert set(colours) == set(TYPE_STYLES)
    for kind, (colour, _icon) in TYPE_STYLES.items():
        assert colours[kind] == colour, kind


def test_every_type_has_its_badge_and_resource_colour() -> None:
    css = (ROOT / "app/web/static/app.css").read_text(encoding="utf-8")
    for kind in TYPE_STYLES:
        assert f".badge-{kind} {{ background: var(--c-{kind}); }}" in css, kind
        if kind != "page":
            assert f".resource-{kind} {{ --c: var(--c-{kind}); }}" in css, kind


def test_report_css_uses_only_the_kit_ink_and_type_colours() -> None:
    allowed = {c for c, _ in TYPE_STYLES.values()} | {"#1b1f24", "#4d5661", "#c4c9cf"}
    for name in ("print/css/report.css",):
        used = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", (ROOT / name).read_text(encoding="utf-8"))}
        assert used <= allowed, (name, used - allowed)
