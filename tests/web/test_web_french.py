"""The French interface catalogue: the extracted strings with French typography, always regenerated
from them; French pages show it (and French plurals), English pages are left as they were."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_babel import gettext
from french_ui import NBSP, NNBSP, texts_by_language

from app.web.french_catalogue import PLURAL_FORMS, french_catalogue

ROOT = Path(__file__).parents[2]
TRANSLATIONS = ROOT / "app" / "web" / "translations"
ENGLISH = {"Accept-Language": "en"}
#: Pages made of interface text only (no kit content), many strings with ' : ; ? ! « » among them.
INTERFACE_PAGES = ["/accessibilite", "/mentions-legales", "/signaler", "/appel", "/connexion", "/rejoindre",
                   "/r/inconnu"]
#: Straight apostrophes, and ordinary spaces where French typography puts a no-break space.
LOOSE = re.compile(r"'|\w [:;!?»]|« ")


def _extracted() -> Catalog:
    """The template `make translations` extracts: babel.cfg, Babel's keywords plus `_l` and `lazy_gettext`."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    template = Catalog()
    for path, line, message, comments, context in extract_from_dir(str(ROOT), method_map, options_map,
                                                                   keywords=keywords):
        template.add(message, None, [(path, line)], auto_comments=comments, context=context)
    return template


def _key(value: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else tuple(value)  # read_mo gives plurals as lists


def _catalogue(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def _texts(page: str, *, french: bool) -> list[str]:
    return [text for text, in_french in texts_by_language(page) if in_french is french]


def test_the_french_catalogue_is_the_extracted_strings_typeset() -> None:
    template = _extracted()
    assert len(template) > 500  # the extraction really read the templates and views
    wanted = {m.id: m.string for m in french_catalogue(template) if m.id}
    catalogue = _catalogue("fr")
    assert str(catalogue.locale) == "fr" and catalogue.plural_forms == PLURAL_FORMS == "nplurals=2; plural=(n > 1);"
    written = {m.id: m.string for m in catalogue if m.id and not m.fuzzy}
    # Every extracted string, no other, each exactly as the generator writes it: no drift.
    assert sorted(map(str, wanted.keys() - written.keys())) == []
    assert sorted(map(str, written.keys() - wanted.keys())) == []
    assert sorted(str(msgid) for msgid in wanted if written[msgid] != wanted[msgid]) == []
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    assert compiled == written  # compiled (make install)
    # What the generator writes, spelled out.
    assert written["Cette page n'existe pas, ou plus. Cherchez dans la mallette :"] == \
        f"Cette page n’existe pas, ou plus. Cherchez dans la mallette{NBSP}:"
    assert written["Vouliez-vous dire « %(suggestion)s » ? Voici ses résultats."] == \
        f"Vouliez-vous dire «{NNBSP}%(suggestion)s{NNBSP}»{NNBSP}? Voici ses résultats."
    assert written["L'export est en cours (%(percent)d %%) : %(step)s. Cette page se met à jour seule."] == \
        f"L’export est en cours (%(percent)d{NBSP}%%){NBSP}: %(step)s. Cette page se met à jour seule."
    assert written[("%(num)d note", "%(num)d notes")] == (f"%(num)d{NBSP}note", f"%(num)d{NBSP}notes")
    assert written["Accueil"] == "Accueil"  # nothing to set: left as it is
    assert sum(written[msgid] != msgid for msgid in written if isinstance(msgid, str)) > 300


def test_french_pages_show_french_typography(client: FlaskClient) -> None:
    for path in INTERFACE_PAGES:
        page = client.get(path).get_data(as_text=True)
        assert '<html lang="fr">' in page, path
        texts = _texts(page, french=True)
        assert len(texts) > 5, path
        assert [text for text in texts if LOOSE.search(text)] == [], path
    assert "Aucun test n’a encore été fait avec un lecteur d’écran" in client.get("/accessibilite").get_data(
        as_text=True)
    unknown = client.get("/r/inconnu")
    assert unknown.status_code == 404
    assert f"ne porte l’identifiant «{NNBSP}inconnu{NNBSP}». Il a peut-être été retiré, ou l’adresse" in \
        unknown.get_data(as_text=True)
    assert f"Cherchez dans la mallette{NBSP}:" in client.get("/nulle-part").get_data(as_text=True)


def test_french_plurals_in_a_rendered_template(app: Flask) -> None:
    counts = "{% for n in (0, 1, 2) %}{{ ngettext('%(num)d note', '%(num)d notes', n) }}|{% endfor %}"
    with app.test_request_context():  # no language asked for: French, the default
        assert render_template_string(counts) == f"0{NBSP}note|1{NBSP}note|2{NBSP}notes|"
    with app.test_request_context(headers=ENGLISH):
        assert render_template_string(counts) == "0 notes|1 note|2 notes|"


def test_english_is_the_english_catalogue_untouched(app: Flask, client: FlaskClient) -> None:
    english = {m.id: m.string for m in _catalogue("en") if m.id and isinstance(m.id, str) and m.string}
    french = {m.id: m.string for m in _catalogue("fr") if m.id and isinstance(m.id, str)}
    assert len(english) > 500
    with app.test_request_context(headers=ENGLISH):
        assert [msgid for msgid, string in english.items() if gettext(msgid) != string] == []
    with app.test_request_context():  # the default locale reads the French catalogue, not the msgids
        assert [msgid for msgid, string in french.items() if gettext(msgid) != string] == []
    for path in [*INTERFACE_PAGES, "/", "/r/posture-partir-des-besoins", "/recherche?q=cooperaton"]:
        page = client.get(path, headers=ENGLISH).get_data(as_text=True)
        assert '<html lang="en">' in page, path
        texts = _texts(page, french=False)
        assert len(texts) > 5, path
        # No French no-break space outside the content (which stays French, marked lang="fr").
        assert [text for text in texts if NBSP in text or NNBSP in text] == [], path
    assert f"besoin{NNBSP}?" in client.get("/r/posture-partir-des-besoins", headers=ENGLISH).get_data(as_text=True)


def test_labels_numbers_and_abbreviations_take_french_spaces(app: Flask) -> None:
    """Text that templates used to join with ordinary spaces ("Rôle : nom", "n° 12") comes from the
    catalogue: held by no-break spaces in French, English punctuation in English."""
    template = ('{{ _("n° %(num)d", num=12) }}|{{ _("%(role)s : %(name)s", role="Élu·e", name=name) }}|'
                '{{ _("%(when)s UTC :", when="2026-12-02 10:30") }}')
    with app.test_request_context():
        assert render_template_string(template, name="<b>Ana</b>") == (
            f"n°{NBSP}12|Élu·e{NBSP}: &lt;b&gt;Ana&lt;/b&gt;|2026-12-02 10:30 UTC{NBSP}:")
        assert gettext("ex. : coopération, tiers-lieu, visite") == f"ex.{NBSP}: coopération, tiers-lieu, visite"
    with app.test_request_context(headers=ENGLISH):
        assert render_template_string(template, name="Ana") == "No. 12|Élu·e: Ana|2026-12-02 10:30 UTC:"
