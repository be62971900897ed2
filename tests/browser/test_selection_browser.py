"""The card basket in a real browser: a card's page adds it to the selection kept in the browser,
the download page ticks it and counts it aloud, and one PDF of just that card comes back."""

from __future__ import annotations

from pathlib import Path

from conftest import LiveServer
from french_ui import fr
from pypdf import PdfReader


def test_basket_from_a_card_page_to_its_pdf(page, live_server: LiveServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/r/posture-partir-des-besoins")
    toggle = page.get_by_role("button", name="Ajouter à ma sélection")
    toggle.focus()
    page.keyboard.press("Enter")  # keyboard works; the link became a button saying what it does
    removal = page.get_by_role("button", name="Retirer de ma sélection")
    assert removal.get_attribute("aria-pressed") is None  # its label changes: not a toggle
    assert page.locator(".basket-add [aria-live=polite]").inner_text() == fr("1 carte choisie.")
    page.keyboard.press(" ")  # Space too; taking the card out is announced as well
    assert page.locator(".basket-add [aria-live=polite]").inner_text() == "Aucune carte choisie."
    page.keyboard.press(" ")
    assert page.evaluate("() => document.activeElement.textContent") == "Retirer de ma sélection"  # focus kept

    page.goto(live_server.url + "/telecharger")  # the basket survived the page change
    form = page.locator("[data-basket-form]")
    assert form.locator("input[value=posture-partir-des-besoins]").is_checked()
    assert form.locator("[data-basket-count]").inner_text() == fr("1 carte choisie.")
    form.get_by_role("button", name="Imprimer ma sélection (un PDF)").click()
    page.get_by_text("Le kit est prêt.").wait_for(timeout=120_000)
    assert fr("1 carte choisie") in page.locator("main").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name=fr("Ma sélection de cartes : rectos, puis versos en miroir")).click()
    pdf = tmp_path / "selection.pdf"
    pdf.write_bytes(Path(download.value.path()).read_bytes())
    reader = PdfReader(pdf)
    assert len(reader.pages) == 2  # one front sheet, its mirrored back sheet
    assert "Partir des besoins" in reader.pages[0].extract_text()

    page.goto(live_server.url + "/telecharger")  # emptied from the form, forgotten everywhere
    form.get_by_role("button", name="Vider la sélection").click()
    assert form.locator("[data-basket-count]").inner_text() == "Aucune carte choisie."
    page.goto(live_server.url + "/r/posture-partir-des-besoins")
    assert page.get_by_role("button", name="Ajouter à ma sélection").count() == 1
