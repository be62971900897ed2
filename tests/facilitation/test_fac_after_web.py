"""After-session pages over HTTP: debrief, impressions, synthesis and validation, report and exports;
authorisation on every route (logged out, stranger, other facilitator, participant of another session)."""

from __future__ import annotations

import json
import re
import time

import pytest
from after_factory import Made, make_session
from factools import form_token
from flask import Flask
from flask.testing import FlaskClient
from french_ui import NBSP, fr, texts_by_language
from sqlmodel import select

from app import get_state
from app.clock import FrozenClock
from app.db import read_session, write_session
from app.facilitation import debrief
from app.jobs import get_queue
from app.models import ClusterNote, ImpressionNote, Meeting, ReportPdf, Synthesis, SynthesisVersion, Validation

HOSTILE = [
    '<script>alert("x")</script>',
    '<img src="file:///etc/passwd" onerror="alert(1)">',
    '<div hx-get="/deconnexion" hx-trigger="load">piège</div>',
    '<link rel="stylesheet" href="https://evil.example/x.css"><style>body{display:none}</style>',
    "[clic](javascript:alert(1)) ![img](https://evil.example/t.png) https://evil.example/",
    "\u202eevil\u202c right-to-left override 😀🌱",
    "long " + "x" * 10_000,
]


def _engine(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["mallette"].engine


@pytest.fixture
def made(app: Flask, client: FlaskClient, make_user, login) -> Made:  # type: ignore[no-untyped-def]
    make_user("anim@example.org")
    login(client, "anim@example.org")
    return make_session(_engine(app), facilitator="anim@example.org", texts=HOSTILE, notes=14)


def _phone(app: Flask, made: Made, index: int) -> FlaskClient:
    phone = app.test_client()
    with read_session(_engine(app)) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        uuid = meeting.uuid
    with phone.session_transaction() as session:
        session["participants"] = {uuid: made.participant_tokens[index]}
    return phone


def _uuid(app: Flask, meeting_id: int) -> str:
    with read_session(_engine(app)) as db:
        meeting = db.get(Meeting, meeting_id)
        assert meeting is not None
        return meeting.uuid


def _inert(html: str) -> None:
    """No participant markup came through as markup."""
    assert "<script>alert" not in html and "onerror=" not in html.replace("onerror=&#34;", "")
    assert '<div hx-get="/deconnexion"' not in html and "<style>body" not in html
    assert 'href="javascript:' not in html and 'src="https://evil.example' not in html
    assert 'href="https://evil.example' not in html


def test_debrief_board_plain_form_and_htmx(app: Flask, client: FlaskClient, made: Made) -> None:
    board = f"/seances/{made.meeting_id}/bilan"
    page = client.get(board)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Bilan collectif" in html
    _inert(html)
    assert "&lt;script&gt;alert" in html and 'draggable="true"' in html and "debrief.js" in html
    token = form_token(client, board)
    created = client.post(f"{board}/groupes", data={"csrf_token": token, "name": "Le lieu <b>partagé</b>"})
    assert created.status_code == 303
    empty = client.post(f"{board}/groupes", data={"csrf_token": token, "name": " "}, headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "Le nom est vide" in empty.get_data(as_text=True)
    nul = client.post(f"{board}/groupes", data={"csrf_token": token, "name": "a\x00b"})
    assert nul.status_code == 400 and "caractère nul" in nul.get_data(as_text=True)  # refused before the view
    cluster_id = int(re.search(r'data-cluster-id="(\d+)"', client.get(board).get_data(as_text=True)).group(1))
    moved = client.post(f"{board}/deplacer", data={"csrf_token": token, "cluster_id": str(cluster_id),
                                                   "note_ids": [str(made.note_ids[0]), str(made.note_ids[3])]})
    assert moved.status_code == 303
    # htmx drag and drop: the same form, answered with the board fragment
    dropped = client.post(f"{board}/deplacer", data={"csrf_token": token, "cluster_id": str(cluster_id),
                                                     "note_ids": str(made.note_ids[5])}, headers={"HX-Request": "true"})
    fragment = dropped.get_data(as_text=True)
    assert dropped.status_code == 200 and "<html" not in fragment and "Le lieu &lt;b&gt;partagé&lt;/b&gt;" in fragment
    nothing = client.post(f"{board}/deplacer", data={"csrf_token": token, "cluster_id": str(cluster_id)})
    assert nothing.status_code == 422 and "Cochez" in nothing.get_data(as_text=True)
    renamed = client.post(f"{board}/groupes/{cluster_id}",
                          data={"csrf_token": token, "name": "Lieu", "regard": "transition"})
    assert renamed.status_code == 303
    with read_session(_engine(app)) as db:
        placed = db.exec(select(ClusterNote.note_id).where(ClusterNote.cluster_id == cluster_id)).all()
    assert sorted(placed) == sorted([made.note_ids[0], made.note_ids[3], made.note_ids[5]])
    # participants see the result on their phones
    phone = _phone(app, made, 1)
    seen = phone.get(f"/p/{_uuid(app, made.meeting_id)}/bilan")
    assert seen.status_code == 200 and "Lieu" in seen.get_data(as_text=True)
    _inert(seen.get_data(as_text=True))


def test_impression_note_from_phone_and_follow_up(app: Flask, client: FlaskClient, made: Made) -> None:
    uuid = _uuid(app, made.meeting_id)
    phone = _phone(app, made, 0)
    url = f"/p/{uuid}/impression"
    page = phone.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'hx-trigger="input changed delay:2s"' in html and "impression.js" in html
    assert 'name="consent"' in html and "checked" not in html.split('name="consent"')[1].split(">")[0]
    token = form_token(phone, url)
    autosave = phone.post(url, data={"csrf_token": token, "text": HOSTILE[0], "version": "0"},
                          headers={"HX-Request": "true"})
    assert autosave.status_code == 200 and "Brouillon enregistré" in autosave.get_data(as_text=True)
    assert 'value="1"' in autosave.get_data(as_text=True)  # the next save starts from version 1
    stale = phone.post(url, data={"csrf_token": token, "text": "autre onglet", "version": "0"})
    assert stale.status_code == 409 and "autre onglet" in stale.get_data(as_text=True)  # kept in the form
    sent = phone.post(url, data={"csrf_token": token, "text": HOSTILE[0] + " fin", "version": "1", "consent": "on",
                                 "action": "send"})
    assert sent.status_code == 303
    with read_session(_engine(app)) as db:
        note = db.exec(select(ImpressionNote)).one()
    assert note.submitted_at is not None and note.consent_report and note.text == HOSTILE[0] + " fin"
    # another session's participant, and a phone that never joined: not found
    other = make_session(_engine(app), facilitator=None, title="Autre séance")
    assert _phone(app, other, 0).get(url).status_code == 404
    assert app.test_client().get(url).status_code == 404
    follow = client.get(f"/seances/{made.meeting_id}/impressions")
    text = follow.get_data(as_text=True)
    assert follow.status_code == 200 and "Commune d&#39;Ardes" in text and "Collectif Osons" in text
    assert fr("1 envoyée(s) sur 2") in text and f"/p/{uuid}/impression" in text
    assert HOSTILE[0] not in text and "&lt;script&gt;" not in text  # the facilitator does not read notes here


def test_debrief_counts_take_the_french_plural(client: FlaskClient, made: Made) -> None:
    board = f"/seances/{made.meeting_id}/bilan"
    token = form_token(client, board)
    assert client.post(f"{board}/groupes", data={"csrf_token": token, "name": "Vide"}).status_code == 303
    french = client.get(board).get_data(as_text=True)
    assert f"0{NBSP}note · 0{NBSP}vote</p>" in french  # French: the singular for 0 and 1
    english = client.get(board, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "0 notes · 0 votes</p>" in english and "0 note ·" not in english
    cluster_id = re.search(r'data-cluster-id="(\d+)"', french).group(1)  # type: ignore[union-attr]
    moved = client.post(f"{board}/deplacer", data={"csrf_token": token, "cluster_id": cluster_id,
                                                   "note_ids": str(made.note_ids[0])})
    assert moved.status_code == 303
    assert f"1{NBSP}note · " in client.get(board).get_data(as_text=True)
    assert "1 note · " in client.get(board, headers={"Accept-Language": "en"}).get_data(as_text=True)


def _start_synthesis(client: FlaskClient, made: Made) -> str:
    url = f"/seances/{made.meeting_id}/synthese"
    token = form_token(client, url)
    assert client.post(f"{url}/commencer", data={"csrf_token": token}).status_code == 303
    return token


def _texts(**values: str) -> dict[str, str]:
    return {"structure": values.get("structure", "Structure."), "initiative": values.get("initiative", "Initiative."),
            "transition": values.get("transition", "Transition."), "methodes": values.get("methodes", "Méthodes.")}


def test_synthesis_conflict_change_request_validation(app: Flask, client: FlaskClient, made: Made) -> None:
    url = f"/seances/{made.meeting_id}/synthese"
    token = _start_synthesis(client, made)
    first = client.post(url, data={"csrf_token": token, "base_version": "1", **_texts()})
    assert first.status_code == 303
    lost = client.post(url, data={"csrf_token": token, "base_version": "1",
                                  **_texts(methodes="Mon texte que je ne veux pas perdre")})
    body = lost.get_data(as_text=True)
    assert lost.status_code == 409 and "Mon texte que je ne veux pas perdre" in body and "version 2" in body
    assert 'name="base_version" value="2"' in body
    links = {}
    for party in ("demandeuse", "accompagnatrice", "groupe-visite"):
        page = client.post(f"{url}/liens/{party}", data={"csrf_token": token})
        links[party] = re.search(r'value="http://[^"]*(/validation/[^"]+)"', page.get_data(as_text=True)).group(1)
    # The page sends back the links it shows: those that work for this synthesis show again, a made-up
    # one does not.
    again = client.post(f"{url}/liens/groupe-visite", data={"csrf_token": token, "shown": [
        f"http://mallette.test{links['demandeuse']}", "http://mallette.test/validation/fabrique"]})
    body = again.get_data(as_text=True)
    shown = re.findall(r'class="copy-field" readonly value="http://[^"]*(/validation/[^"]+)"', body)
    assert shown[0] == links["demandeuse"] and len(shown) == 2 and "fabrique" not in body
    links["groupe-visite"] = shown[1]
    approver = app.test_client()
    page = approver.get(links["demandeuse"])
    assert page.status_code == 200 and "Structure." in page.get_data(as_text=True)
    vtoken = form_token(approver, links["demandeuse"])
    missing = approver.post(links["demandeuse"], data={"csrf_token": vtoken, "version": "2", "name": "Maire",
                                                       "decision": "modifications"})
    assert missing.status_code == 422 and "Dites quelles modifications" in missing.get_data(as_text=True)
    # The message sits in the form (the page lands there), and the answer chosen stays chosen.
    form = missing.get_data(as_text=True).split('id="reponse"', 1)[1]
    assert 'id="reponse-erreur"' in form and "Dites quelles modifications" in form
    assert 'value="modifications" checked' in form and 'value="approuve" checked' not in form
    asked = approver.post(links["demandeuse"], data={"csrf_token": vtoken, "version": "2", "name": "Maire",
                                                     "decision": "modifications", "comment": "<b>Nommer</b> l'école"})
    assert asked.status_code == 303
    editor = client.get(url).get_data(as_text=True)
    assert "&lt;b&gt;Nommer&lt;/b&gt; l&#39;école" in editor and "Modifications demandées" in editor
    client.post(url, data={"csrf_token": token, "base_version": "2", **_texts(structure="Structure et école.")})
    for party, link in links.items():
        other = app.test_client()
        ptoken = form_token(other, link)
        assert other.post(link, data={"csrf_token": ptoken, "version": "3", "name": f"Pour {party}",
                                      "decision": "approuve"}).status_code == 303
    with read_session(_engine(app)) as db:
        version = db.exec(select(SynthesisVersion).where(SynthesisVersion.number == 3)).one()
        assert version.validated_at is not None
        assert len(db.exec(select(Validation)).all()) == 4
    assert "figée" in client.get(url).get_data(as_text=True)
    diff = client.get(f"{url}/versions/3").get_data(as_text=True)
    assert "-Structure." in diff and "+Structure et école." in diff
    assert client.get(f"{url}/versions").status_code == 200
    assert client.get(f"{url}/versions/9").status_code == 404
    assert app.test_client().get("/validation/not-a-token").status_code == 404


def test_approval_given_in_person_from_the_editor(app: Flask, client: FlaskClient, made: Made) -> None:
    """The facilitator records an accord given in person: errors keep what was typed, a retry lands
    once, the page shows it apart from the answers sent through links, and it counts."""
    url = f"/seances/{made.meeting_id}/synthese"
    token = _start_synthesis(client, made)
    editor = client.get(url).get_data(as_text=True)
    assert "Enregistrer un accord donné en personne" in editor and 'type="date"' in editor
    form = {"csrf_token": token, "version": "1", "party": "accompagnatrice",
            "approver_name": "Directrice <b>d'Osons</b>", "given_on": "",
            "note": "Accord en réunion, compte rendu signé"}
    assert client.post(f"{url}/en-personne", data=dict(form, csrf_token="")).status_code == 400  # CSRF
    missing = client.post(f"{url}/en-personne", data=form)
    body = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "Indiquez la date" in body and "compte rendu signé" in body
    # The error is tied to the fields it is about (read with them by a screen reader).
    assert 'id="en-personne-erreur"' in body
    assert 'name="given_on" required aria-describedby="en-personne-erreur"' in body
    assert 'name="party" required aria-describedby="en-personne-erreur">' in body  # on the select, not in it
    assert editor.count("Créer le lien") == 3  # before any answer: a link for each party
    assert "Directrice &lt;b&gt;d&#39;Osons&lt;/b&gt;" in body  # kept, and inert
    with read_session(_engine(app)) as db:
        day = db.exec(select(SynthesisVersion)).one().created_at.date().isoformat()
    for _ in range(2):  # a double submit
        assert client.post(f"{url}/en-personne", data=dict(form, given_on=day)).status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Approuvée en personne" in page and "Accord donné hors ligne, enregistré par Camille" in page
    # No link is offered any more to the party that approved; the two others still get one.
    assert page.count("Créer le lien") == 2 and "cette partie a approuvé la version en cours" in page
    with read_session(_engine(app)) as db:
        rows = db.exec(select(Validation)).all()
    assert len(rows) == 1 and rows[0].on_behalf and rows[0].given_on.isoformat() == day  # type: ignore[union-attr]
    assert client.post(f"{url}/en-personne", data=dict(form, given_on=day, version="7")).status_code == 404
    for party in ("demandeuse", "groupe-visite"):
        assert client.post(f"{url}/en-personne", data=dict(form, party=party, given_on=day)).status_code == 303
    assert "figée" in client.get(url).get_data(as_text=True)
    data = json.loads(client.get(f"/seances/{made.meeting_id}/seance.json").get_data(as_text=True))
    assert {v["en_personne"] for v in data["synthese_validee"]["validations"]} == {True}


def test_report_pdf_and_exports_are_inert(app: Flask, client: FlaskClient, made: Made) -> None:
    page = client.get(f"/seances/{made.meeting_id}/rapport")
    assert page.status_code == 200 and "Préparer le rapport (PDF)" in page.get_data(as_text=True)
    csv_text = client.get(f"/seances/{made.meeting_id}/notes.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeff\"note\",\"dimension\"") and "x" * 10_000 in csv_text
    data = json.loads(client.get(f"/seances/{made.meeting_id}/seance.json").get_data(as_text=True))
    assert {n["texte"] for n in data["notes"]} == set(HOSTILE)
    assert data["notes_impression"]["partagees"] == []  # none shared yet
    url = f"/seances/{made.meeting_id}/rapport"
    token = form_token(client, url)
    with get_queue(app).thread_worker():
        assert client.post(f"{url}/pdf", data={"csrf_token": token}).status_code == 303
        assert client.post(f"{url}/pdf", data={"csrf_token": token}).status_code == 303  # asked twice: one job
        deadline = time.monotonic() + 120
        while "hx-trigger=\"every 2s\"" in (page := client.get(url, headers={"HX-Request": "true"}).get_data(
                as_text=True)):
            assert time.monotonic() < deadline, "report job did not finish"
            time.sleep(0.2)
    link = re.search(r'href="(/seances/\d+/rapport/\d+\.pdf)"', page)
    assert link, page
    pdf = client.get(link.group(1))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    with read_session(_engine(app)) as db:
        assert len(db.exec(select(ReportPdf)).all()) == 1
    other = make_session(_engine(app), facilitator=None, title="Autre")
    assert client.get(link.group(1).replace(f"/seances/{made.meeting_id}/", f"/seances/{other.meeting_id}/")
                      ).status_code == 404


ROUTES = [
    ("get", "/seances/{m}/bilan"), ("post", "/seances/{m}/bilan/groupes"), ("post", "/seances/{m}/bilan/groupes/1"),
    ("post", "/seances/{m}/bilan/deplacer"), ("get", "/seances/{m}/impressions"), ("get", "/seances/{m}/synthese"),
    ("post", "/seances/{m}/synthese/commencer"), ("post", "/seances/{m}/synthese"),
    ("get", "/seances/{m}/synthese/versions"), ("get", "/seances/{m}/synthese/versions/1"),
    ("post", "/seances/{m}/synthese/liens/demandeuse"), ("post", "/seances/{m}/synthese/en-personne"),
    ("get", "/seances/{m}/rapport"),
    ("post", "/seances/{m}/rapport/pdf"),
    ("get", "/seances/{m}/rapport/1.pdf"), ("get", "/seances/{m}/notes.csv"), ("get", "/seances/{m}/seance.json"),
]


def test_every_route_refuses_strangers(app: Flask, client: FlaskClient, made: Made, make_user, login) -> None:  # type: ignore[no-untyped-def]
    _start_synthesis(client, made)
    make_user("autre@example.org")
    other = app.test_client()
    login(other, "autre@example.org")
    # the other facilitator's own session, to get a CSRF token from a page they may see
    mine = make_session(_engine(app), facilitator="autre@example.org", title="Sa séance")
    token = form_token(other, f"/seances/{mine.meeting_id}/bilan")
    anonymous = app.test_client()
    phone = _phone(app, made, 0)
    for method, pattern in ROUTES:
        path = pattern.format(m=made.meeting_id)
        data = {"csrf_token": token, "name": "x", "note_ids": "1", "base_version": "1", "version": "1",
                "party": "demandeuse", "approver_name": "x", "given_on": "2026-01-01"}
        answer = getattr(other, method)(path, data=data) if method == "post" else other.get(path)
        assert answer.status_code == 404, (path, answer.status_code)
        logged_out = anonymous.get(path) if method == "get" else None
        if logged_out is not None:
            assert logged_out.status_code == 302 and "/connexion" in logged_out.headers["Location"], path
            assert phone.get(path).status_code == 302, path  # a participant is not signed in
    # nothing changed for the real owner
    with read_session(_engine(app)) as db:
        assert len(db.exec(select(Synthesis)).all()) == 1
        assert db.exec(select(ClusterNote)).all() == []


def test_scanned_card_offers_a_note_to_the_running_session(app: Flask, client: FlaskClient, made: Made) -> None:
    from sqlmodel import col

    from app.db import write_session
    from app.facilitation.enums import MeetingStatus
    from app.models import Note

    page = app.test_client().get("/r/fiche-cooperation-territoriale").get_data(as_text=True)
    assert 'hx-get="/r/fiche-cooperation-territoriale/seance"' in page
    stranger = app.test_client().get("/r/fiche-cooperation-territoriale/seance")
    assert stranger.status_code == 200 and stranger.get_data(as_text=True) == ""  # no session: nothing offered
    phone = _phone(app, made, 0)
    assert phone.get("/r/dim-cooperation/seance").get_data(as_text=True) == ""  # the session is closed
    with write_session(_engine(app)) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        meeting.status = MeetingStatus.LIVE
        db.add(meeting)
    offer = phone.get("/r/dim-cooperation/seance", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Ajouter une note à la séance en cours" in offer
    assert '<option value="dim-cooperation" selected>' in offer  # the card's own grid dimension
    key = re.search(r'name="key" value="([0-9a-f]+)"', offer).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', offer).group(1)
    url = f"/p/{_uuid(app, made.meeting_id)}/carte/dim-cooperation"
    form = {"csrf_token": token, "key": key, "dimension": "dim-cooperation", "text": "La carte <b>aide</b>"}
    assert phone.post(url, data=form, headers={"HX-Request": "true"}).status_code == 200
    assert phone.post(url, data=form, headers={"HX-Request": "true"}).status_code == 200  # a retry lands once
    with read_session(_engine(app)) as db:
        linked = db.exec(select(Note).where(col(Note.card_id) == "dim-cooperation")).all()
    assert [n.text for n in linked] == ["La carte <b>aide</b>"] and linked[0].dimension_id == "dim-cooperation"
    report = client.get(f"/seances/{made.meeting_id}/rapport").get_data(as_text=True)
    assert "Cartes de la mallette utilisées" in report and "/r/dim-cooperation" in report
    other = make_session(_engine(app), facilitator=None, title="Autre")
    stranger_phone = _phone(app, other, 0)
    own = form_token(stranger_phone, f"/p/{_uuid(app, other.meeting_id)}/impression")
    assert stranger_phone.post(url, data=dict(form, csrf_token=own)).status_code == 404  # a phone of another session


def test_kit_titles_in_an_english_interface_are_marked_french(app: Flask, client: FlaskClient, made: Made) -> None:
    """Wherever a facilitator's page names a kit item (a card to pick for printing, a structure to
    choose, a dimension on the agenda, the board or the search filters), the English interface
    marks that French name `lang="fr"`: no text equal to a kit title, summary or tag label is left
    in English."""
    kit = get_state(app).kit
    french = {item.title for item in kit} | {item.summary for item in kit if item.summary}
    french |= set(kit.tag_labels.values())
    m, a = made.meeting_id, made.accompaniment_id
    client.set_cookie("lang", "en")
    for path, at_least in (("/telecharger", 100), ("/accompagnements", 5), (f"/accompagnements/{a}", 5),
                           (f"/seances/{m}/preparer", 2), (f"/seances/{m}/bilan", 6), ("/recherche?q=coop", 6)):
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert '<html lang="en">' in html, path
        shown = [(text, in_french) for text, in_french in texts_by_language(html) if text in french]
        assert len({text for text, _in_french in shown}) >= at_least, path  # the page really names them
        assert sorted({text for text, in_french in shown if not in_french}) == [], path


def test_the_report_page_counts_in_the_singular_and_the_plural(app: Flask, client: FlaskClient, made: Made) -> None:
    with write_session(_engine(app)) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        debrief.create_cluster(db, FrozenClock(), meeting, "Le lieu")
    def texts_of(page: str) -> str:
        block = re.search(r'<ul class="report-facts">(.*?)</ul>', page, re.S)
        assert block
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block.group(1)))

    facts = texts_of(client.get(f"/seances/{made.meeting_id}/rapport").get_data(as_text=True))
    assert "4 participant·es" in facts and "14 notes" in facts
    assert "1 groupe au bilan" in facts and "0 note d’impression envoyée, 0 partagée dans le rapport" in facts
    english = client.get(f"/seances/{made.meeting_id}/rapport", headers={"Accept-Language": "en"})
    facts = texts_of(english.get_data(as_text=True))
    assert "4 participants" in facts and "1 group in the debrief" in facts and "0 impression notes sent" in facts
