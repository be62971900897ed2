"""The English interface catalogue is complete and compiled."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parents[2] / "app" / "web" / "translations"


def test_english_catalogue_is_complete_and_compiled() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    with (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        english = read_po(handle, locale="en")
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in english
        if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else all(m.string))
    }
    assert wanted - translated == set()
    with (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = read_mo(handle)
    assert {m.id if isinstance(m.id, str) else m.id[0] for m in compiled if m.id} >= wanted
