"""An accompaniment from the call to the agenda PDF, in a real browser (phone size), with axe.

A territory applies through the public call; a coordinator turns the application into an
accompaniment and invites a facilitator, who signs up, pairs it with an offering community, plans a
learning visit from the kit's protocol, moves and retimes steps (htmx, no reload), sees the overrun
warning and downloads the agenda PDF, whose text is checked.
"""

from __future__ import annotations

import io
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AXE, LiveServer
from french_ui import fr
from werkzeug.serving import make_server

from app import create_app
from app.jobs import get_queue

pytestmark = pytest.mark.browser
CONTENT = Path(__file__).parents[2] / "kit_content"
PHONE = {"width": 360, "height": 640}


@pytest.fixture(scope="module")
def fac_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on the real kit (its protocols and structures), on 127.0.0.1 and a free port."""
    from sqlite_template import sqlite_copy

    work = tmp_path_factory.mktemp("fac-live")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    url = f"http://127.0.0.1:{port}"
    app = create_app({"TESTING": True, "SECRET_KEY": "fac-browser", "BASE_URL": url, "PREBUILD_DEFAULT_KIT": False,
                      "DATABASE_URL": sqlite_copy(work / "fac.sqlite3", CONTENT), "BUILD_DIR": str(work / "builds")})
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with get_queue(app).thread_worker():  # the job worker renders the PDFs, as beside `mallette serve`
        yield LiveServer(app=app, url=url)
    server.shutdown()
    thread.join(10)
    app.extensions["mallette"].engine.dispose()


def _axe(page) -> list:  # type: ignore[no-untyped-def]
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {runOnly: {type: 'tag', values: "
                           "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})")
    return [(page.url, v["id"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_from_the_call_to_the_agenda_pdf(browser, fac_server: LiveServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from factools import create_user
    from pypdf import PdfReader

    base = fac_server.url
    create_user(fac_server.app, "coord@example.org", role="coordinator", name="Coordination")
    violations: list = []
    outside: list[str] = []

    def context():  # type: ignore[no-untyped-def]
        # axe is injected as an inline script, which the app's CSP forbids: bypassed in this test only.
        ctx = browser.new_context(locale="fr-FR", viewport=PHONE, accept_downloads=True, bypass_csp=True)
        ctx.on("request", lambda r: None if r.url.startswith((base, "data:", "blob:")) else outside.append(r.url))
        tab = ctx.new_page()
        tab.set_default_timeout(15_000)
        return ctx, tab

    # 1. A volunteer territory applies; a first try without a demand keeps everything typed.
    visitor_ctx, page = context()
    page.goto(base + "/appel")
    page.get_by_label("Votre nom").fill("Dominique")
    page.get_by_label("Votre rôle").fill("Élue à la vie associative")
    page.get_by_label("Structure ou collectivité").fill("Mairie de Val-Test")
    page.get_by_label("Adresse e-mail").fill("elue@example.org")
    page.get_by_label("Territoire", exact=True).fill("Val-Test")
    for question in ("élu·es", "initiatives solidaires", "communauté", "formulée"):
        page.get_by_role("group", name=re.compile(question)).get_by_label("Oui").check()
    page.get_by_role("button", name="Envoyer la candidature").click()
    page.get_by_text("Décrivez votre demande en quelques phrases").wait_for()
    assert page.get_by_label("Votre nom").input_value() == "Dominique"
    violations += _axe(page)
    page.get_by_label(fr("Votre demande d'accompagnement")).fill(
        "Relancer une épicerie solidaire avec les habitant·es et les producteur·ices du canton.")
    page.get_by_role("button", name="Envoyer la candidature").click()
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"AMI-[A-Z0-9]{6}", reference)
    visitor_ctx.close()

    # 2. A coordinator chooses it and invites a facilitator to the new accompaniment.
    coord_ctx, page = context()
    page.goto(base + "/connexion")
    page.get_by_label("Adresse e-mail").fill("coord@example.org")
    page.get_by_label("Mot de passe").fill("wrong horse battery")  # a typo first: the form answers in place
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("alert").filter(has_text="mot de passe incorrect").wait_for()
    assert page.get_by_label("Adresse e-mail").input_value() == "coord@example.org"
    page.get_by_label("Mot de passe").fill("correct horse battery")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(base + "/")
    page.get_by_role("button", name="Menu").click()  # the phone header folds the menu away
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name=fr("Candidatures à l'appel")).click()
    assert reference in page.content()
    violations += _axe(page)
    page.get_by_role("button", name=fr("Retenir : créer l'accompagnement") + " Val-Test").click()
    page.get_by_role("heading", level=1, name="Val-Test").wait_for()
    assert "Territoire retenu" in page.locator("[aria-current=step]").inner_text()
    page.get_by_role("link", name=fr("Inviter quelqu'un qui n'a pas de compte")).click()
    assert page.get_by_label("Accompagnement à rejoindre").input_value() != ""
    page.get_by_role("button", name=fr("Créer le lien d'invitation")).click()
    invitation = page.get_by_label("Lien à copier").input_value()
    assert "/inscription/" in invitation
    violations += _axe(page)
    coord_ctx.close()

    # 3. The facilitator signs up through the link, pairs the accompaniment and plans the visit.
    fac_ctx, page = context()
    page.goto(invitation)
    page.get_by_label("Votre nom").fill("Sam")
    page.get_by_label("Adresse e-mail").fill("sam@example.org")
    page.get_by_label("Mot de passe", exact=True).fill("un secret assez long")
    page.get_by_label("Le même mot de passe, encore").fill("un secret assez long")
    page.get_by_role("button", name="Créer mon compte").click()
    page.get_by_role("link", name="Val-Test").click()
    page.get_by_label("Structure de la mallette").select_option("structure-ardes")
    page.get_by_role("button", name="Former le binôme").click()
    page.get_by_text("Communauté accompagnatrice enregistrée.").wait_for()
    page.get_by_role("button", name=fr("Passer à : Préparation")).click()
    page.get_by_text("Étape mise à jour.").wait_for()
    violations += _axe(page)
    page.get_by_label("Préparer à partir de").select_option("protocole:protocole-visite-apprenante")
    page.get_by_label("Lieu").fill("Ardes")
    page.get_by_role("button", name="Créer la séance").click()
    page.wait_for_url(re.compile(r"/seances/\d+/preparer"))

    # 4. Move and retime steps in place (htmx: the document stays the same), see the overrun.
    page.evaluate("window.__sameDocument = true")
    morning = page.locator("section.half-day").first
    titles = morning.locator(".step-title")
    first, second = titles.nth(0).inner_text(), titles.nth(1).inner_text()
    page.get_by_role("button", name=f"↑ Monter {second}").click()
    page.wait_for_function(f"document.querySelector('section.half-day .step-title').textContent === {second!r}")
    assert titles.nth(1).inner_text() == first
    assert page.locator(".overrun-warning").count() == 0
    page.get_by_label(fr("Durée en minutes de « %(title)s »") % {"title": first}).fill("400")
    page.get_by_role("button", name=f"Changer la durée {first}").click()
    page.locator(".overrun-warning").wait_for()
    assert "Dépassement de" in morning.inner_text()
    assert page.evaluate("window.__sameDocument") is True
    assert page.get_by_role("button", name=f"↑ Monter {second}").is_disabled()  # already the first step
    # Deleting a step asks first: "Annuler" keeps it, "OK" deletes it.
    count, last = titles.count(), titles.nth(titles.count() - 1).inner_text()
    page.once("dialog", lambda dialog: dialog.dismiss())
    morning.get_by_role("button", name=f"Supprimer {last}").click()
    page.wait_for_timeout(300)
    assert titles.count() == count
    page.once("dialog", lambda dialog: dialog.accept())
    morning.get_by_role("button", name=f"Supprimer {last}").click()
    page.wait_for_function(f"document.querySelector('section.half-day').querySelectorAll('.step-title').length "
                           f"=== {count - 1}")
    violations += _axe(page)
    page.get_by_role("link", name=f"Modifier la consigne, les dimensions et les postures : {second}").click()
    page.get_by_label("Partir des besoins").check()
    page.get_by_role("button", name=fr("Enregistrer l'étape")).click()
    page.wait_for_url(re.compile(r"/preparer#etape-\d+$"))
    assert "Partir des besoins" in page.locator("section.half-day").first.locator(".step-links").first.inner_text()

    # 5. The agenda PDF, rendered by the job worker while the page waits for it.
    page.get_by_role("button", name="Ordre du jour en PDF").click()
    ready = page.get_by_role("link", name=fr("Télécharger l'ordre du jour"))
    ready.wait_for()
    with page.expect_download() as download:
        ready.click()
    pdf = tmp_path / "agenda.pdf"
    download.value.save_as(pdf)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Ordre du jour" in text and "Jour 1, matin" in text and second in text and "dépassement" in text
    fac_ctx.close()

    assert violations == []
    assert outside == []
