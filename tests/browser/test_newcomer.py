"""What a newcomer meets, in a real browser: typos, tags, result pages, the phone header, languages."""

from __future__ import annotations

import re

import pytest
from conftest import LiveServer
from french_ui import NBSP, fr
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
#: French spacing before `: ; ? !` in text that is not marked as French content.
FRENCH_SPACING = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const owner = node.parentElement;
    if (!owner || owner.closest('[lang="fr"], script, style, [hidden]')) continue;
    if (/\\S[\\u00a0\\u202f ][:;?!](\\s|$)/.test(node.textContent)) found.push(node.textContent.trim());
  }
  return found;
}"""


def test_a_typo_finds_the_fiche(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/recherche")
    page.get_by_label("Mots à chercher").press_sequentially("inovation socilae", delay=30)
    results = page.locator("#resultats")
    # The answer to the whole typed text (under load, one to a part of it may come first).
    expect(page.locator("#statut-recherche")).to_contain_text(fr("Aucun résultat pour « inovation socilae »"),
                                                              timeout=15_000)
    results.get_by_role("link", name="Comment s'inscrire dans une démarche d'innovation sociale ?").wait_for()
    expect(results).to_contain_text(fr("Vouliez-vous dire « innovation sociale » ?"))
    results.get_by_role("link", name="innovation sociale", exact=True).click()  # the suggestion is a search
    page.wait_for_url(re.compile(r"q=innovation\+sociale"))
    assert "Vouliez-vous dire" not in page.locator("#resultats").inner_text()


def test_a_tag_is_one_tag_across_accents(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/r/structure-apes")  # its file writes "cooperation"
    tags = page.get_by_role("list", name="Mots-clés")
    assert tags.get_by_role("link").all_inner_texts()[0] == "coopération"  # the label, not the slug
    tags.get_by_role("link", name="coopération").click()
    page.wait_for_url(re.compile(r"tag=cooperation"))
    found = page.locator("#resultats .hit-title").all_inner_texts()
    assert "Partir des besoins" in found  # its file writes "coopération": the same tag


def test_search_pages_say_the_true_count(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/recherche?q=cooperation")
    status = page.locator("#statut-recherche").inner_text()
    total = int(re.search(rf"(\d+){NBSP}résultats", status).group(1))  # type: ignore[union-attr]
    assert total > 4 and fr("page 1 sur") in status
    seen = page.locator("#resultats .hit-title").all_inner_texts()
    while page.get_by_role("link", name="Page suivante").count():
        page.get_by_role("link", name="Page suivante").click()
        page.wait_for_load_state()
        seen += page.locator("#resultats .hit-title").all_inner_texts()
    assert len(seen) == total == len(set(seen))


def test_phone_header_is_compact_and_its_menu_opens(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/glossaire")
    assert page.locator("header.site-header").bounding_box()["height"] <= 70
    fiches = page.get_by_role("link", name="Fiches", exact=True)
    assert not fiches.is_visible()
    button = page.get_by_role("button", name="Menu")
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert fiches.is_visible() and button.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="English").is_visible()
    button.press("Enter")
    assert not fiches.is_visible() and button.get_attribute("aria-expanded") == "false"
    button.click()
    fiches.focus()
    page.keyboard.press("Escape")  # from inside the menu: it closes, the focus back on its button
    assert not fiches.is_visible() and button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('menu-button')")


def test_phone_menu_works_without_javascript(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False, locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/postures")
    fiches = page.get_by_role("link", name="Fiches", exact=True)
    assert not fiches.is_visible()
    page.get_by_role("link", name="Menu").click()
    assert fiches.is_visible()
    fiches.click()
    page.wait_for_url(re.compile(r"/fiches$"))
    context.close()


def test_qr_landing_page_shows_title_and_print_first(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/r/posture-partir-des-besoins")  # what a scanned card opens
    title = page.get_by_role("heading", level=1).bounding_box()
    action = page.get_by_role("link", name="Imprimer cette carte").bounding_box()
    assert title["y"] < 200
    assert action["y"] + action["height"] <= PHONE["height"]


def test_english_browser_is_told_the_content_is_french_and_remembered(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en-US", viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/r/posture-partir-des-besoins")
    notice = page.get_by_role("complementary", name="Interface language")
    assert "the kit's content is written in French" in notice.inner_text()
    assert page.get_by_text("The kit's content is written in French; only the interface is translated.").is_visible()
    assert page.evaluate(FRENCH_SPACING) == []
    notice.get_by_role("link", name="Keep English").click()
    page.wait_for_url(re.compile(r"/r/posture-partir-des-besoins$"))
    assert page.get_by_role("complementary", name="Interface language").count() == 0
    assert page.locator("html").get_attribute("lang") == "en"
    for path in ("/", "/recherche?q=cooperaton", "/activites", "/telecharger", "/r/inconnu"):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == "en", path  # remembered
        assert page.evaluate(FRENCH_SPACING) == [], path
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Français").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("html").get_attribute("lang") == "fr"
    context.close()
