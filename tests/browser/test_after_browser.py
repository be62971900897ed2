"""After the session, in a real browser: impression notes from both communities' phones, the debrief
clusters (form and drag and drop), the synthesis with its four regards, a change request then validation
by the three parties, the report PDF downloaded and checked, a proposal published and exported, and the
new card found by search after `mallette index`. Axe runs on every page; nothing is loaded from outside.

The session is made by the test factory (closed, with notes and votes), as the live test leaves it.
"""

from __future__ import annotations

import io
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AXE, LiveServer
from french_ui import fr
from werkzeug.serving import make_server

from app import create_app
from app.jobs import get_queue

sys.path.insert(0, str(Path(__file__).parents[1] / "facilitation"))
from after_factory import make_session  # noqa: E402

pytestmark = pytest.mark.browser
CONTENT = Path(__file__).parents[2] / "kit_content"
PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def after_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on the real kit, on 127.0.0.1 and a free port, with the job worker beside it."""
    from sqlite_template import sqlite_copy

    work = tmp_path_factory.mktemp("after-live")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    url = f"http://127.0.0.1:{port}"
    app = create_app({"TESTING": True, "SECRET_KEY": "after-browser", "BASE_URL": url, "PREBUILD_DEFAULT_KIT": False,
                      "DATABASE_URL": sqlite_copy(work / "after.sqlite3", CONTENT), "BUILD_DIR": str(work / "builds")})
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with get_queue(app).thread_worker():
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


def test_after_the_session(browser, after_server: LiveServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pikepdf
    from factools import TEST_PASSWORD, create_user

    app, base = after_server.app, after_server.url
    create_user(app, "anim@example.org", name="Camille")
    create_user(app, "coord@example.org", role="coordinator", name="Coordination")
    made = make_session(app.extensions["mallette"].engine, facilitator="anim@example.org", notes=8)
    from app.db import read_session
    from app.models import Meeting

    with read_session(app.extensions["mallette"].engine) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        uuid = meeting.uuid
    violations: list = []
    outside: list[str] = []

    def context(viewport=PHONE, participant: int | None = None):  # type: ignore[no-untyped-def]
        # axe is injected as an inline script, which the app's CSP forbids: bypassed in this test only.
        ctx = browser.new_context(locale="fr-FR", viewport=viewport, accept_downloads=True, bypass_csp=True)
        ctx.on("request", lambda r: None if r.url.startswith((base, "data:", "blob:")) else outside.append(r.url))
        if participant is not None:  # the phone that joined the session: h6's participant cookie
            serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
            cookie = serializer.dumps({"participants": {uuid: made.participant_tokens[participant]}})
            ctx.add_cookies([{"name": app.config.get("SESSION_COOKIE_NAME", "session"), "value": cookie,
                              "url": base}])
        tab = ctx.new_page()
        tab.set_default_timeout(20_000)
        return ctx, tab

    # 1. Impression notes from a phone of each community (autosave, then sent with consent).
    notes = [(0, "Commune : l'accueil des élu·es m'a marquée."), (1, "Collectif : <b>pas</b> de markup ici.")]
    for index, text in notes:
        ctx, phone = context(participant=index)
        phone.goto(f"{base}/p/{uuid}/impression")
        # fill() types nothing: it sets the text and sends one input event, as a paste or a dictation
        # does; the autosave fires 2 s later.
        phone.get_by_label("Ma note", exact=True).fill(text)
        phone.get_by_text("Brouillon enregistré.").wait_for()
        violations += _axe(phone)
        phone.get_by_label(fr("J'accepte que ma note figure")).check()
        phone.get_by_role("button", name="Envoyer ma note").click()
        phone.get_by_text("Note envoyée.").wait_for()
        assert phone.get_by_label("Ma note", exact=True).input_value() == text
        ctx.close()

    # 2. The facilitator groups notes: a cluster, notes moved with the form and by drag and drop.
    ctx, page = context(viewport=DESKTOP)
    page.goto(base + "/connexion")
    page.get_by_label("Adresse e-mail").fill("anim@example.org")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$|.*/accompagnements.*"))
    page.goto(f"{base}/seances/{made.meeting_id}/bilan")
    assert "Bilan collectif" in page.content(), page.content()[-3000:]
    page.get_by_label("Nouveau groupe").fill("Le lieu partagé")
    page.get_by_role("button", name="Ajouter").click()
    page.get_by_role("heading", name="Le lieu partagé").wait_for()
    page.locator(f"#note-{made.note_ids[0]}").check()
    page.locator(f"#note-{made.note_ids[1]}").check()
    page.get_by_role("button", name="Déplacer", exact=True).click()
    page.locator(f'.cluster .board-note[data-note-id="{made.note_ids[1]}"]').wait_for()
    # Drag and drop: Playwright's mouse drag does not start an HTML5 drag in headless Chromium, so the
    # drag events are dispatched to the note and the cluster; debrief.js handles them as a real drop.
    page.evaluate("""(id) => {
      const note = document.querySelector(`.board-note[data-note-id="${id}"]`);
      const zone = document.querySelector('.cluster.drop-zone');
      const data = new DataTransfer();
      note.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: data}));
      zone.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: data}));
      zone.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: data}));
    }""", made.note_ids[2])
    page.locator(f'.cluster .board-note[data-note-id="{made.note_ids[2]}"]').wait_for()
    assert page.locator(".cluster .board-note").count() == 3
    violations += _axe(page)
    page.screenshot(path=str(tmp_path / "bilan-desktop.png"), full_page=True)
    page.goto(f"{base}/seances/{made.meeting_id}/impressions")
    assert fr("1 envoyée(s) sur 2") in page.locator("main").inner_text()  # content() writes &nbsp;
    violations += _axe(page)

    # 3. The synthesis: started from the debrief, four regards, validation links for the three parties.
    page.goto(f"{base}/seances/{made.meeting_id}/synthese")
    page.get_by_role("button", name="Commencer la note de synthèse").click()
    for label in ("Regard sur la structure d'accompagnement", "Regard sur l'initiative de coopération retenue",
                  "Regard sur l'impact sur la transition", "Regard sur les spécificités des méthodes d'accompagnement"):
        page.get_by_label(fr(label)).wait_for()
    assert "Le lieu partagé" in page.get_by_label(fr("Regard sur l'initiative de coopération retenue")).input_value()
    page.get_by_label(fr("Regard sur l'impact sur la transition")).fill("Une **cantine** en circuit court.")
    page.get_by_role("button", name="Enregistrer une nouvelle version").click()
    page.get_by_text("Version 2 enregistrée.").wait_for()
    links = {}
    for party in ("demandeuse", "accompagnatrice", "groupe-visite"):
        page.locator(f'form[action$="/liens/{party}"] button').click()
        field = page.locator(f"#lien-{party}")
        field.wait_for()
        links[party] = field.input_value()
    for party, link in links.items():  # made one after the other, all three still show
        assert page.locator(f"#lien-{party}").input_value() == link
    violations += _axe(page)

    def answer(party: str, decision: str, comment: str = "") -> None:
        actx, approver = context(participant=None)
        approver.goto(links[party])
        approver.get_by_label("Votre nom et votre fonction").fill(f"Pour {party}")
        approver.get_by_label(fr(decision)).check()
        if comment:
            approver.get_by_label("Commentaire").fill(comment)
        approver.get_by_role("button", name="Envoyer ma réponse").click()
        approver.get_by_text(fr("Merci : votre réponse est enregistrée.")).wait_for()
        violations.extend(_axe(approver))
        actx.close()

    answer("demandeuse", "Je demande des modifications", "Citer la cantine de l'école.")
    page.reload()
    assert "Citer la cantine de l&#39;école." in page.content() or "Citer la cantine de l'école." in page.content()
    page.get_by_label(fr("Regard sur l'impact sur la transition")).fill("Une **cantine** d'école en circuit court.")
    page.get_by_role("button", name="Enregistrer une nouvelle version").click()
    page.get_by_text("Version 3 enregistrée.").wait_for()
    for party in links:
        answer(party, "J'approuve cette version")
    page.reload()
    page.get_by_text("elle est figée").wait_for()

    # 4. The report PDF, rendered by the job worker, downloaded and checked.
    page.goto(f"{base}/seances/{made.meeting_id}/rapport")
    page.get_by_role("button", name="Préparer le rapport (PDF)").click()
    download_link = page.get_by_role("link", name=re.compile("Télécharger le rapport"))
    download_link.wait_for(timeout=90_000)
    violations += _axe(page)
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / "rapport.pdf"
    info.value.save_as(path)
    pdf = pikepdf.open(io.BytesIO(path.read_bytes()))
    assert len(pdf.pages) >= 3
    titles = []
    with pdf.open_outline() as outline:
        pending = list(outline.root)
        while pending:
            item = pending.pop(0)
            titles.append(item.title)
            pending.extend(item.children)
    assert "Note de synthèse" in titles and "Bilan collectif" in titles
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Le lieu partagé" in text and "Une cantine d" in text and "Collectif : <b>pas</b> de markup ici." in text

    # 5. A proposal, published by a coordinator, exported, found by search after `mallette index`.
    page.goto(f"{base}/seances/{made.meeting_id}/propositions/nouvelle")
    page.get_by_label("Ce que la proposition ajoute").select_option("initiative")
    page.get_by_label("Identifiant du nouvel élément").fill("initiative-cantine-ardes")
    for label, value in [("Titre", "La cantine d'Ardes en circuit court"),
                         ("Résumé (une phrase)", "La cantine de l'école achète aux producteur·ices du pays."),
                         ("Besoin auquel elle répond", "Nourrir les enfants avec des produits du pays."),
                         (fr("Ce qu'elle a d'innovant"), "Une commande publique faite avec le collectif.")]:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Texte de la carte").fill("La commune et le collectif ont monté ensemble la commande.")
    page.get_by_role("button", name="Proposer").click()
    page.get_by_text("Proposition enregistrée").wait_for()
    ctx.close()
    cctx, coord = context(viewport=PHONE)
    coord.goto(base + "/connexion")
    coord.get_by_label("Adresse e-mail").fill("coord@example.org")
    coord.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    coord.get_by_role("button", name="Se connecter").click()
    coord.wait_for_url(re.compile(r".*/$|.*/accompagnements.*"))
    coord.goto(base + "/propositions")
    assert "initiative-cantine-ardes" in coord.content(), coord.content()[-2500:]
    coord.get_by_role("link", name="La cantine d'Ardes en circuit court").click()
    violations += _axe(coord)
    coord.get_by_role("button", name="Publier").click()
    coord.get_by_text("Proposition publiée").wait_for()
    coord.goto(base + "/suivi/territoires")
    violations += _axe(coord)
    coord.screenshot(path=str(tmp_path / "territoires-phone.png"), full_page=True)
    # Nothing wider than the phone: a wide table scrolls inside its own box, long words wrap.
    wide = {}
    for path in ("/accompagnements", "/propositions", "/suivi/territoires", f"/seances/{made.meeting_id}/synthese",
                 f"/seances/{made.meeting_id}/synthese/versions", f"/seances/{made.meeting_id}/impressions",
                 "/admin/comptes", "/admin/candidatures"):
        assert coord.goto(base + path).ok, path  # type: ignore[union-attr]
        width = coord.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:  # say which elements stick out
            wide[path] = (width, coord.evaluate(
                "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > "
                f"{PHONE['width'] + 1}).slice(0, 5).map(e => e.tagName + '.' + e.className)"))
    assert wide == {}
    cctx.close()

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    exported = app.test_cli_runner().invoke(args=["export-proposals", "--content", str(content)])
    assert exported.exit_code == 0 and "1 écrit(s)" in exported.output, exported.output
    fresh = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{tmp_path}/next.sqlite3",
                        "CONTENT_DIR": str(content), "BUILD_DIR": str(tmp_path / "b"), "BASE_URL": base})
    assert fresh.test_cli_runner().invoke(args=["index"]).exit_code == 0
    found = fresh.test_client().get("/recherche?q=cantine").get_data(as_text=True)
    assert "/r/initiative-cantine-ardes" in found
    fresh.extensions["mallette"].engine.dispose()

    assert violations == []
    assert outside == []
