"""The kit in a real browser: live search, QR URL to resource page, kit build and download, axe."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import AXE, LiveServer
from french_ui import fr
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = [
    "/", "/fiches", "/postures", "/activites", "/grille", "/structures", "/initiatives", "/glossaire",
    "/recherche?q=cooperation", "/telecharger", "/licence",
    "/r/fiche-innovation-sociale", "/r/posture-partir-des-besoins", "/r/activite-carte-ecosysteme",
    "/r/dim-cooperation", "/r/structure-apes", "/r/initiative-epicerie-test", "/r/notion-tiers-lieu",
    "/r/page-presentation", "/r/inconnu", "/recherche?q=cooperaton",
    "/accessibilite", "/mentions-legales", "/signaler",
]


def test_live_search_as_a_user_types(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/")
    page.get_by_label("Rechercher dans la mallette").fill("tiers")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r"/recherche\?q=tiers"))
    page.evaluate("window.__sameDocument = true")
    box = page.get_by_label("Mots à chercher")
    box.fill("")
    box.press_sequentially("cooperat", delay=40)  # typed, debounced
    results = page.locator("#resultats")
    results.get_by_role("link", name="Coopération territoriale").wait_for()
    assert page.evaluate("window.__sameDocument") is True  # htmx swapped the results, no reload
    assert "q=cooperat" in page.url  # the address follows the search
    assert "résultat" in page.locator("#statut-recherche").inner_text()
    page.get_by_text("Filtrer par type, mot-clé ou dimension").click()  # the filters fold away on phones
    page.get_by_label("Type").select_option("notion")
    # (a locator waits without eval, which the page's CSP refuses, should the swap not be there yet)
    expect(page.locator("#resultats .hit")).to_have_count(1, timeout=15_000)
    assert page.evaluate("window.__sameDocument") is True
    results.get_by_role("link", name="Coopération territoriale").click()
    page.wait_for_url(re.compile(r"/r/notion-cooperation-territoriale$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Coopération territoriale"


def test_search_works_without_javascript(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    page.goto(live_server.url + "/recherche")
    page.get_by_label("Mots à chercher").fill("épicerie")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r"q=%C3%A9picerie"))
    assert page.locator("#resultats").get_by_role("link", name="Une épicerie solidaire de test").count() == 1
    context.close()


def test_keyboard_skip_link_and_language_switch(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/glossaire")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/glossaire#contenu$"))  # the jump to the content, once the browser made it
    page.get_by_role("button", name="Menu").click()  # on a phone, the language is in the menu
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/glossaire$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Glossary"
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Français").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Glossaire", timeout=15_000)  # the French page


def _qr_urls(pdf: Path, tmp_path: Path, first: int = 1, last: int = 2) -> list[str]:
    import zxingcpp
    from PIL import Image

    prefix = tmp_path / "qr"
    # Grey PGM files: PNG compression would cost several times the rasterising.
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-f", str(first), "-l", str(last), str(pdf), str(prefix)],
                   check=True)
    urls: list[str] = []
    for picture in sorted(tmp_path.glob("qr*.pgm")):
        urls.extend(code.text for code in zxingcpp.read_barcodes(Image.open(picture)))
    return urls


def test_build_a_kit_through_the_form_then_open_a_card_qr(page, live_server: LiveServer,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    page.goto(live_server.url + "/telecharger")
    page.get_by_label("Nom du territoire").fill("Pays d’Aix – Durance")  # as a word processor types it
    for box in page.locator("input[name=decks]").all():
        if box.get_attribute("value") != "postures":
            box.uncheck()
    page.get_by_role("button", name="Construire mon kit").click()
    progress = page.locator("#kit-progres")
    progress.wait_for()
    assert progress.evaluate("el => el === document.activeElement")  # focus follows the submit, not <body>
    assert progress.locator("[aria-live=polite]").count() == 1  # progress and completion are announced
    page.get_by_text("Le kit est prêt.").wait_for(timeout=120_000)
    assert progress.evaluate("el => el === document.activeElement")  # still there once the files are listed
    assert re.search(r"/telecharger/[0-9a-f]{64}$", page.url)  # htmx pushed the build's address
    assert fr("Votre kit : Pays d’Aix – Durance") in page.locator("main").inner_text()
    assert "A4 · édition maison ou bureau · Cartes posture" in progress.inner_text()  # what the kit is
    page.keyboard.press("Tab")  # the first Tab from the progress region reaches the first file
    assert page.evaluate("document.activeElement.getAttribute('href')").endswith(".pdf")

    with page.expect_download() as zip_download:
        page.locator("a[download][href$='.zip']").click()
    assert re.fullmatch(r"pays-daix-durance-mallette-a4-maison\.zip", zip_download.value.suggested_filename)
    archive = zipfile.ZipFile(io.BytesIO(Path(zip_download.value.path()).read_bytes()))
    assert any(name.endswith(".pdf") for name in archive.namelist())

    with page.expect_download() as pdf_download:
        page.get_by_text(fr("Le jeu de cartes seul (1 fichier)")).click()  # the decks are grouped
        page.get_by_role("link", name="Cartes posture", exact=True).click()
    pdf = tmp_path / "postures.pdf"
    pdf.write_bytes(Path(pdf_download.value.path()).read_bytes())
    urls = _qr_urls(pdf, tmp_path, last=3)  # the first sheet holds the title and mode d'emploi cards
    cards = [url for url in urls if url.startswith(live_server.url + "/r/")]
    assert cards, f"no card QR code found on the first pages: {urls}"
    assert set(urls) - set(cards) <= {live_server.url + "/postures"}, urls  # the mode d'emploi card: the deck's page

    response = page.goto(cards[0])  # what a trainer's phone does after scanning the card
    assert response is not None and response.status == 200
    assert page.locator("article.resource h1").inner_text()
    assert page.get_by_role("link", name="Imprimer cette carte").count() == 1


@pytest.fixture(scope="module")
def axe_tab(browser: Any) -> Iterator[Callable[[str], Any]]:
    """`axe_tab(locale)`: one phone-sized tab per locale that has axe on every page it opens.

    axe comes as an init script, an inline script the app's CSP rightly forbids: bypassed here only.
    The tab goes from page to page (a fresh context and a fresh axe per page cost half a second more).
    """
    tabs: dict[str, tuple[Any, Any]] = {}

    def tab(locale: str) -> Any:
        if locale not in tabs:
            context = browser.new_context(bypass_csp=True, locale=locale, viewport={"width": 390, "height": 844})
            context.add_init_script(path=str(AXE))
            tabs[locale] = (context, context.new_page())
        return tabs[locale][1]

    yield tab
    for context, _tab in tabs.values():
        context.close()


@pytest.mark.parametrize("locale", ["fr-FR", "en-US"])
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_serious_violation(axe_tab, live_server: LiveServer, path: str, locale: str) -> None:  # type: ignore[no-untyped-def]
    page = axe_tab(locale)
    page.goto(live_server.url + path)
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], bad


def test_form_errors_show_in_place(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/telecharger")
    if page.locator("form.kit-form").count() == 0:
        pytest.skip("deck definitions not available")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Construire mon kit").click()  # no territory: a 422 from the server
    page.locator("#kit-territoire").get_by_text("Indiquez le nom de votre territoire.").wait_for()
    assert page.evaluate("window.__sameDocument") is True  # swapped by htmx although it is a 4xx
    assert page.get_by_label("Nom du territoire").get_attribute("aria-invalid") == "true"
