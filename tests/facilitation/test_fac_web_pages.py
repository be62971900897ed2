"""The pages through the test client: the call form, invitations and resets, planning, PDF, demo."""

from __future__ import annotations

import io
import re
from typing import Any

from factools import TEST_PASSWORD, form_token
from flask import Flask
from french_ui import fr
from sqlalchemy import func, select

from app import get_state
from app.db import read_session
from app.jobs import get_queue
from app.models import Accompaniment, AgendaPdf, AgendaStep, CallApplication, Meeting, Membership, User


def _engine(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["mallette"].engine


CALL = {"applicant_name": "Dominique", "applicant_role": "Élue", "organisation": "Mairie", "email": "d@example.org",
        "territory_name": "Pays de Test", "region": "", "demand": "Faire vivre une épicerie solidaire ensemble.",
        **{f"diag_{c}": "oui" for c in ("elus", "initiatives", "communaute", "besoin")}}


def test_the_call_keeps_what_was_typed_and_a_retry_does_not_duplicate(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/appel").get_data(as_text=True)
    assert "activite-ami-choix-territoires" in page
    token = form_token(client, "/appel")
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    bad = client.post("/appel", data={**CALL, "email": "pas-une-adresse", "diag_elus": "", "csrf_token": token,
                                      "key": key})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Faire vivre une épicerie solidaire ensemble." in text and 'value="pas-une-adresse"' in text
    assert fr("Cette adresse e-mail n'est pas valide.") in text and "Choisissez une réponse." in text
    assert f'value="{key}"' in text  # the same key: the corrected form is still the same application
    first = client.post("/appel", data={**CALL, "csrf_token": token, "key": key})
    again = client.post("/appel", data={**CALL, "csrf_token": token, "key": key})
    refs = [re.search(r'class="reference">(AMI-\w+)<', r.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
            for r in (first, again)]
    assert first.status_code == 200 and refs[0] == refs[1]
    with read_session(_engine(app)) as db:
        assert db.execute(select(func.count()).select_from(CallApplication)).scalar() == 1


def test_invitation_sign_up_joins_the_accompaniment_and_works_once(app: Flask, make_user: Any, login: Any) -> None:
    make_user("coord@example.org", role="coordinator")
    coordinator = app.test_client()
    login(coordinator, "coord@example.org")
    token = form_token(coordinator, "/accompagnements")
    created = coordinator.post("/accompagnements", data={"csrf_token": token, "territory": "Pays", "asking_name": "C"})
    accompaniment_id = int(created.headers["Location"].rsplit("/", 1)[1])
    issued = coordinator.post("/admin/invitations", data={"csrf_token": token, "role": "facilitator",
                                                          "accompaniment_id": str(accompaniment_id)})
    link = re.search(r'value="(http://[^"]+/inscription/[^"]+)"', issued.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    path = link.split("localhost", 1)[-1]
    newcomer = app.test_client()
    csrf = form_token(newcomer, path)
    mismatch = newcomer.post(path, data={"csrf_token": csrf, "display_name": "Sam", "email": "sam@example.org",
                                         "password": TEST_PASSWORD, "password2": "autre chose !"})
    assert mismatch.status_code == 422 and 'value="sam@example.org"' in mismatch.get_data(as_text=True)
    done = newcomer.post(path, data={"csrf_token": csrf, "display_name": "Sam", "email": "sam@example.org",
                                     "password": TEST_PASSWORD, "password2": TEST_PASSWORD})
    assert done.status_code == 303
    assert newcomer.get(f"/accompagnements/{accompaniment_id}").status_code == 200  # signed in, and a member
    with read_session(_engine(app)) as db:
        sam = db.exec(select(User).where(User.email == "sam@example.org")).scalar_one()  # type: ignore[call-overload]
        assert db.get(Membership, (accompaniment_id, sam.id)) is not None
    reused = app.test_client().get(path)
    assert reused.status_code == 404 and "déjà servi" in reused.get_data(as_text=True)


def test_a_reset_link_sets_a_new_password(app: Flask, make_user: Any, login: Any) -> None:
    make_user("coord@example.org", role="coordinator")
    user = make_user("anim@example.org")
    coordinator = app.test_client()
    login(coordinator, "coord@example.org")
    token = form_token(coordinator, "/admin/comptes")
    issued = coordinator.post(f"/admin/comptes/{user.id}/reinitialiser", data={"csrf_token": token})
    path = "/mot-de-passe/" + re.search(r'/mot-de-passe/([^"]+)"', issued.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    client = app.test_client()
    csrf = form_token(client, path)
    short = client.post(path, data={"csrf_token": csrf, "password": "court", "password2": "court"})
    assert short.status_code == 422
    new = "un nouveau secret"
    assert client.post(path, data={"csrf_token": csrf, "password": new, "password2": new}).status_code == 303
    other = app.test_client()
    login(other, "anim@example.org", "un nouveau secret")


def test_planning_without_javascript_and_with_htmx(app: Flask, make_user: Any, login: Any) -> None:
    from pypdf import PdfReader

    make_user("anim@example.org")
    client = app.test_client()
    login(client, "anim@example.org")
    token = form_token(client, "/accompagnements")
    created = client.post("/accompagnements", data={"csrf_token": token, "territory": "Pays", "asking_name": "C",
                                                    "offering_structure": "structure-ardes"})
    base = created.headers["Location"]
    refused = client.post(base + "/seances", data={"csrf_token": token, "template": "activite:inconnue"})
    assert refused.status_code == 422 and fr("Ce modèle n'existe pas") in refused.get_data(as_text=True)
    planned = client.post(base + "/seances", data={"csrf_token": token, "place": "Ardes", "starts_on": "2026-06-02",
                                                   "template": "protocole:protocole-visite-apprenante"})
    prepare = planned.headers["Location"]
    meeting_id = int(prepare.split("/")[2])
    # A second session: a wrong date is said inside its form, opened again, as typed.
    wrong_day = client.post(base + "/seances", data={"csrf_token": token, "place": "Riom", "starts_on": "32/13"},
                            headers={"HX-Request": "true"})
    fragment = wrong_day.get_data(as_text=True)
    box = fragment[fragment.index('id="prevoir-seance" open'):fragment.index('id="ajouter-personne"')]
    assert wrong_day.status_code == 422 and 'role="alert"' in box and 'value="Riom"' in box
    assert 'role="alert"' not in fragment[:fragment.index('id="prevoir-seance"')]
    # From an activity sheet, which has no session kind: a visit of accompaniment, not a refusal.
    from_sheet = client.post(base + "/seances", data={"csrf_token": token, "template": "activite:" + next(
        i.id for i in get_state(app).kit.by_type("activite"))})
    assert from_sheet.status_code == 303
    with read_session(_engine(app)) as db:
        sheet_meeting = db.get(Meeting, int(from_sheet.headers["Location"].split("/")[2]))
        assert sheet_meeting is not None and sheet_meeting.kind.value == "visite-accompagnement"
    page = client.get(prepare).get_data(as_text=True)
    assert "Jour 1, matin" in page and "Dépassement" not in page
    with read_session(_engine(app)) as db:
        steps = db.exec(select(AgendaStep).where(AgendaStep.meeting_id == meeting_id)  # type: ignore[call-overload]
                        .order_by(AgendaStep.half_day_id, AgendaStep.position)).scalars().all()
    first, second = steps[0], steps[1]
    moved = client.post(f"/seances/{meeting_id}/etapes/{second.id}/deplacer", data={"csrf_token": token,
                                                                                    "direction": "up"})
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"#etape-{second.id}")
    page = client.get(prepare).get_data(as_text=True)
    assert page.index(f'id="etape-{second.id}"') < page.index(f'id="etape-{first.id}"')
    swapped = client.post(f"/seances/{meeting_id}/etapes/{first.id}/duree",
                          data={"csrf_token": token, "minutes": "400"}, headers={"HX-Request": "true"})
    fragment = swapped.get_data(as_text=True)
    assert swapped.status_code == 200 and "<html" not in fragment and "Dépassement de" in fragment
    wrong = client.post(f"/seances/{meeting_id}/etapes/{first.id}/duree", data={"csrf_token": token, "minutes": "x"},
                        headers={"HX-Request": "true"})
    assert wrong.status_code == 422 and "Indiquez un nombre entier de minutes." in wrong.get_data(as_text=True)
    # A refused addition says why inside its own form (the agenda above may be long), as typed.
    no_title = client.post(f"/seances/{meeting_id}/etapes", data={"csrf_token": token, "half_day_id": str(
        first.half_day_id), "title": "", "minutes": "25"}, headers={"HX-Request": "true"})
    fragment = no_title.get_data(as_text=True)
    add_form = fragment[fragment.index('id="ajouter-etape"'):fragment.index('id="ajouter-demi-journee"')]
    assert no_title.status_code == 422 and 'role="alert"' in add_form and 'role="alert"' not in fragment[
        :fragment.index('id="ajouter-etape"')]
    assert 'name="minutes" type="number" min="1" max="600" value="25"' in add_form
    no_time = client.post(f"/seances/{meeting_id}/demi-journees", data={"csrf_token": token, "title": "Jour 3",
                                                                         "minutes": "x"})
    page = no_time.get_data(as_text=True)
    half_day_form = page[page.index('id="ajouter-demi-journee" open'):]
    assert no_time.status_code == 422 and 'role="alert"' in half_day_form and 'value="Jour 3"' in half_day_form
    assert 'value="25"' not in page  # the other form is not filled with this one's values
    asked = client.post(f"/seances/{meeting_id}/pdf", data={"csrf_token": token})
    status_page = asked.headers["Location"]
    assert client.post(f"/seances/{meeting_id}/pdf", data={"csrf_token": token}).headers["Location"] == status_page
    pdf_id = int(status_page.rsplit("/", 1)[1])
    assert "Préparation du PDF" in client.get(status_page).get_data(as_text=True)
    assert client.get(status_page + "/fichier").status_code == 303  # not rendered yet: back to the status
    get_queue(app).run("agenda-pdf", pdf_id)  # what the job worker does
    assert "Le PDF est prêt." in client.get(status_page).get_data(as_text=True)
    pdf = client.get(status_page + "/fichier")
    assert pdf.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Ordre du jour" in text and "Jour 1, matin" in text and "dépassement" in text
    with read_session(_engine(app)) as db:
        assert db.execute(select(func.count()).select_from(AgendaPdf)).scalar() == 1
        morning = db.exec(select(AgendaStep).where(AgendaStep.id == first.id)).scalar_one().half_day_id  # type: ignore[call-overload]
    roadmap = client.post(f"/seances/{meeting_id}/pdf", data={"csrf_token": token, "half_day_id": str(morning)})
    get_queue(app).run("agenda-pdf", int(roadmap.headers["Location"].rsplit("/", 1)[1]))
    sheet = PdfReader(io.BytesIO(client.get(roadmap.headers["Location"] + "/fichier").data))
    assert len(sheet.pages) == 1 and "Feuille de route" in sheet.pages[0].extract_text()


def test_demo_is_idempotent_and_removable(app: Flask, runner: Any) -> None:
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "demo-animation@mallette.invalid" in first.output and "créé" in first.output
    second = runner.invoke(args=["demo"])
    assert "déjà présent" in second.output
    with read_session(_engine(app)) as db:
        (demo,) = db.exec(select(Accompaniment)).scalars().all()  # type: ignore[call-overload]
        assert demo.is_demo and demo.title.startswith("Démo")
    client = app.test_client()
    token = form_token(client, "/connexion")
    client.post("/connexion", data={"email": "demo-animation@mallette.invalid", "password": "demo-mallette",
                                    "csrf_token": token})
    page = client.get(f"/accompagnements/{demo.id}").get_data(as_text=True)
    assert "PES21" in page and "ARDES" in page and "Visiteur·se 1" in page and "Démo : visite apprenante" in page
    removed = runner.invoke(args=["demo", "--remove"])
    assert removed.exit_code == 0
    with read_session(_engine(app)) as db:
        assert db.execute(select(func.count()).select_from(Accompaniment)).scalar() == 0
        assert db.execute(select(func.count()).select_from(User)).scalar() == 0


def test_applications_are_rate_limited_per_address(app: Flask) -> None:
    client = app.test_client()
    token = form_token(client, "/appel")
    statuses = [client.post("/appel", data={"csrf_token": token, "key": "k" * 20}).status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429
