"""The shared Markdown renderer is safe and links glossary terms."""

from __future__ import annotations

import pytest

from app.kit.markdown import french_template, french_text, plain_text, render_inline, render_markdown


def test_raw_html_is_never_rendered() -> None:
    html = render_markdown('<script>alert(1)</script>\n\n<img src="file:///etc/passwd">\n\nTexte <b>gras</b>')
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_markdown_images_and_dangerous_links_are_dropped() -> None:
    html = render_markdown("![x](http://example.org/a.png) [lien](javascript:alert(1)) [ok](https://le-mes.org)")
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert 'href="https://le-mes.org"' in html and 'rel="noopener noreferrer"' in html


def test_basic_markdown_renders() -> None:
    html = render_markdown("## Titre\n\n- **un**\n- *deux*\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h2>Titre</h2>" in html and "<strong>un</strong>" in html and "<table>" in html


def test_glossary_terms_link_once_and_acronyms_match_exactly() -> None:
    glossary = {"ESS": "notion-ess", "tiers-lieu": "notion-tiers-lieu"}
    html = render_markdown(
        "L'ESS et le Tiers-lieu. Encore l'ESS. Les ess en minuscules et [ESS](https://x.org) dans un lien.",
        glossary=glossary,
        href_for=lambda target: f"/r/{target}",
    )
    assert html.count('href="/r/notion-ess"') == 1
    assert html.count('href="/r/notion-tiers-lieu"') == 1
    assert "processus" not in html


def test_an_item_does_not_link_to_itself() -> None:
    html = render_markdown("Le PTCE.", glossary={"PTCE": "notion-ptce"}, href_for=lambda t: t, skip_id="notion-ptce")
    assert "<a" not in html


def test_inline_and_plain_text() -> None:
    assert str(render_inline("un *mot*")) == "un <em>mot</em>"
    assert plain_text("## Titre\n\nUn **mot** et `code`.") == "Titre\nUn mot et code."


NNBSP, NBSP = "\u202f", "\u00a0"


def test_french_typography_spaces_apostrophes_and_units() -> None:
    html = str(render_markdown(
        "L'ESS : c'est « bien » ? Oui ! Un fichier de 199 Ko, 88 mm, n° 4 ; 1 860 mots, à 10:30."
    ))
    assert "’" in html and "'" not in html
    assert f"ESS{NBSP}:" in html or "ESS&nbsp;:" in html
    assert f"«{NNBSP}bien{NNBSP}»{NNBSP}?" in html
    assert f"Oui{NNBSP}!" in html and f"4{NNBSP};" in html
    for held in ("199&nbsp;Ko", "88&nbsp;mm", "n°&nbsp;4", f"1{NNBSP}860"):
        assert held in html
    assert "10:30" in html  # a time keeps its colon
    assert "ex.&nbsp;: une visite" in str(render_markdown("ex. : une visite"))  # after an abbreviation too


def test_french_typography_ordinals_code_links_and_line_starts() -> None:
    html = str(render_markdown("Au XIXe siècle, le 1er mai, `l'a : b` et [lien](https://x.org/?a=1) !\nmot\n? fin"))
    assert "XIX<sup>e</sup>" in html and "1<sup>er</sup>" in html
    assert "<code>l'a : b</code>" in html  # code is left as written
    assert 'href="https://x.org/?a=1"' in html and f"</a>{NNBSP}!" in html
    # A soft line break before « ? » would let it start a line: it becomes a no-break space.
    assert f"mot{NNBSP}? fin" in html
    assert "Ce texte" in str(render_markdown("Ce texte"))  # no false ordinal


def test_french_template_keeps_placeholders_tags_and_references() -> None:
    # The text around them is set as `french_text` sets it.
    assert french_template("Vous n'avez pas accès : %(name)s !") == f"Vous n’avez pas accès{NBSP}: %(name)s{NNBSP}!"
    assert french_template("« %(q)s » ; d'%(x)s") == f"«{NNBSP}%(q)s{NNBSP}»{NNBSP}; d’%(x)s"
    # A number placeholder is held to its noun; %% and the placeholder itself are left as written.
    assert french_template("%(num)d notes, %(m)02d min") == f"%(num)d{NBSP}notes, %(m)02d{NBSP}min"
    assert french_template("À 100 %% (%(percent)d %%) : %s") == f"À 100{NBSP}%% (%(percent)d{NBSP}%%){NBSP}: %s"
    assert french_template("{name} : ok") == f"{{name}}{NBSP}: ok"
    # Tags and character references: never changed (attributes included), text around them set.
    tagged = '<a href="/x?a=1" title="Voir : l\'aide">l\'aide</a> ? Vrai &amp; faux ; oui'
    assert french_template(tagged) == (f'<a href="/x?a=1" title="Voir : l\'aide">l’aide</a>{NNBSP}? '
                                       f"Vrai &amp; faux{NNBSP}; oui")
    for text in ("Accueil", "10:30", "https://x.org/?a=1", "Aucun"):
        assert french_template(text) == french_text(text) == text
    with pytest.raises(ValueError):
        french_template("\u02ac")  # a stand-in the function uses itself


def test_search_text_keeps_the_content_characters() -> None:
    assert plain_text("L'ESS : oui") == "L'ESS : oui"


def test_glossary_terms_are_not_linked_inside_quotations() -> None:
    glossary = {"ESS": "notion-ess", "PTCE": "notion-ptce", "tiers-lieu": "notion-tiers-lieu"}

    def link(text: str) -> str:
        return render_markdown(text, glossary=glossary, href_for=lambda target: f"/r/{target}")

    html = link("Une élue disait : « l'ESS, c'est *notre* PTCE ». Ensuite, l'ESS et le PTCE.")
    assert html.count("<a ") == 2
    assert html.index('href="/r/notion-ess"') > html.index("»")  # the first occurrence outside the quote
    quoted = link("> Le tiers-lieu, c'est la maison commune.\n\nUn tiers-lieu ici.")
    assert quoted.count('href="/r/notion-tiers-lieu"') == 1
    assert quoted.index('href="/r/notion-tiers-lieu"') > quoted.index("</blockquote>")
    english = link("He said “the ESS matters”, then the ESS.")
    assert english.count("<a ") == 1 and english.index("<a ") > english.index("”")
