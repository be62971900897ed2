"""The English interface catalogue covers every interface string and is compiled."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
TRANSLATIONS = ROOT / "app" / "web" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}


def _msgid(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _interface_strings() -> set[str]:
    """The strings `pybabel extract -F babel.cfg` would find, read from the sources themselves."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)
    return {_msgid(message) for _path, _line, message, _comments, _context in found if message}


def test_english_catalogue_is_complete_and_compiled() -> None:
    wanted = _interface_strings()
    assert len(wanted) > 100  # the extraction really read the templates and views
    with (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        english = read_po(handle, locale="en")
    translated = {
        _msgid(m.id)
        for m in english
        if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else all(m.string))
    }
    assert sorted(wanted - translated) == []
    with (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = read_mo(handle)
    assert {_msgid(m.id) for m in compiled if m.id} >= wanted
