"""Capitalisation: proposals from a validated synthesis, coordinator review, export into the content that
passes `mallette validate` and is found by search after `mallette index`; dashboards and their authorisation."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from after_factory import Made, make_session
from click.testing import CliRunner
from factools import create_user, form_token
from flask import Flask
from flask.testing import FlaskClient
from french_ui import fr
from sqlmodel import select

from app import create_app, get_state
from app.cli import cli
from app.clock import FrozenClock
from app.config import PROJECT_ROOT
from app.db import read_session, write_session
from app.facilitation import proposals, synthesis
from app.facilitation.enums import ProposalKind, ProposalStatus, ValidationDecision, ValidationParty
from app.jobs import get_queue
from app.models import Meeting, Proposal, ProposalExport, Synthesis, User


def _engine(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["mallette"].engine


def _validate_synthesis(app: Flask, made: Made) -> None:
    clock = FrozenClock()
    with write_session(_engine(app)) as db:
        meeting = db.get(Meeting, made.meeting_id)
        user = db.exec(select(User).where(User.email == "anim@example.org")).one()
        assert meeting is not None
        found = synthesis.start(db, clock, meeting, user)
        for party in ValidationParty:
            invitation = synthesis.invite_for(db, synthesis.invite(db, clock, found, party))
            synthesis.answer(db, clock, invitation, version_number=1, decision=ValidationDecision.APPROVED,
                             approver_name="Pour " + party.value)
        assert synthesis.status(db, db.get(Synthesis, found.id) or found).frozen


PROPOSAL = {
    "kind": "exemple-fiche", "target_id": "fiche-cooperation-territoriale",
    "item_id": "initiative-lieu-partage-ardes", "title": "Le lieu partagé d'Ardes",
    "summary": "Un lieu ouvert trois jours par semaine où la commune et le collectif coopèrent.",
    "territory": "Pays d'Ardes", "holder": "Collectif Osons et commune d'Ardes",
    "need": "Un endroit où se retrouver pour monter des projets.",
    "innovation": "Un lieu géré à deux, commune et habitant·es.",
    "body": "La commune prête le local, le collectif l’anime. **À en tirer :** un lieu commun tient la coopération.",
}


def test_propose_review_publish_export_validate_index_search(app: Flask, client: FlaskClient, make_user, login,  # type: ignore[no-untyped-def]
                                                             tmp_path: Path) -> None:
    make_user("anim@example.org")
    login(client, "anim@example.org")
    made = make_session(_engine(app), facilitator="anim@example.org")
    new = f"/seances/{made.meeting_id}/propositions/nouvelle"
    assert "validée par les trois parties" in client.get(new).get_data(as_text=True)
    token = form_token(client, new)
    refused = client.post(new, data={"csrf_token": token, **PROPOSAL})
    assert refused.status_code == 422  # no validated synthesis yet
    _validate_synthesis(app, made)
    bad = client.post(new, data={"csrf_token": token, **dict(PROPOSAL, item_id="fiche-cooperation-territoriale")})
    assert bad.status_code == 422 and "commencer par" in bad.get_data(as_text=True)
    assert "Le lieu partagé" in bad.get_data(as_text=True)  # what was typed is kept
    assert client.post(new, data={"csrf_token": token, **PROPOSAL}).status_code == 303
    with read_session(_engine(app)) as db:
        proposal = db.exec(select(Proposal)).one()
    assert proposal.provenance["seance"] == "Visite apprenante à Ardes" and proposal.provenance["version_synthese"] == 1
    assert proposal.provenance["roles_auteurs"][0] == "animateur" and "elu" in proposal.provenance["roles_auteurs"]
    # a facilitator cannot review; a coordinator can
    assert client.get(f"/propositions/{proposal.id}").status_code == 404
    make_user("coord@example.org", role="coordinator")
    coord = app.test_client()
    login(coord, "coord@example.org")
    review = f"/propositions/{proposal.id}"
    page = coord.get(review).get_data(as_text=True)
    assert "Provenance" in page and "notes-synthese-phase-2" in page
    ctoken = form_token(coord, review)
    edited = dict(PROPOSAL, title="Le lieu partagé d'Ardes, commune et collectif")
    saved = coord.post(review, data={"csrf_token": ctoken, "version": "1", "action": "save", **edited})
    assert saved.status_code == 303
    stale = coord.post(review, data={"csrf_token": ctoken, "version": "1", "action": "save", **PROPOSAL})
    assert stale.status_code == 409
    assert coord.post(review, data={"csrf_token": ctoken, "version": "2", "action": "publish"}).status_code == 303
    listing = coord.get("/propositions").get_data(as_text=True)
    assert fr("1 proposition publiée attend l'export") in listing and "mallette export-proposals" in listing

    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "kit_content", content)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export-proposals", "--content", str(content)])
    assert result.exit_code == 0, result.output
    written = content / "initiatives" / "initiative-lieu-partage-ardes.md"
    assert f"écrit : {written}" in result.output
    again = runner.invoke(args=["export-proposals", "--content", str(content)])
    assert again.exit_code == 0 and "0 écrit(s), 1 inchangé(s)" in again.output
    text = written.read_text(encoding="utf-8")
    assert "Provenance : accompagnement « Accompagnement Visite apprenante à Ardes »" in text
    with read_session(_engine(app)) as db:
        assert db.exec(select(Proposal)).one().exported_at is not None
    from click.testing import CliRunner

    from app.cli import cli

    checked = CliRunner().invoke(cli, ["validate", "--strict", "--content", str(content)])
    assert checked.exit_code == 0, checked.output

    # the next kit: indexed from that content, the new card is found by search and has its page
    fresh = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{tmp_path}/k.sqlite3",
                        "CONTENT_DIR": str(content), "BUILD_DIR": str(tmp_path / "b"), "BASE_URL": "http://m.test"})
    assert fresh.test_cli_runner().invoke(args=["index"]).exit_code == 0
    visitor = fresh.test_client()
    found = visitor.get("/recherche?q=lieu+partag%C3%A9+Ardes").get_data(as_text=True)
    assert "/r/initiative-lieu-partage-ardes" in found
    card = visitor.get("/r/initiative-lieu-partage-ardes")
    assert card.status_code == 200 and "Provenance" in card.get_data(as_text=True)
    fiche = visitor.get("/r/fiche-cooperation-territoriale").get_data(as_text=True)
    assert "initiative-lieu-partage-ardes" in fiche  # shown among the fiche's related items
    fresh.extensions["mallette"].engine.dispose()
    with read_session(_engine(app)) as db:
        assert db.exec(select(Proposal)).one().status == ProposalStatus.PUBLISHED


def test_dashboards_and_cross_report(app: Flask, client: FlaskClient, make_user, login) -> None:  # type: ignore[no-untyped-def]
    make_user("anim@example.org")
    login(client, "anim@example.org")
    made = make_session(_engine(app), facilitator="anim@example.org")
    other = make_session(_engine(app), facilitator=None, title="Séance à Colombelles")
    page = client.get(f"/suivi/accompagnements/{made.accompaniment_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Visite apprenante à Ardes" in text
    assert "faire le bilan collectif" in text and "écrire la note de synthèse" in text
    assert client.get(f"/suivi/accompagnements/{other.accompaniment_id}").status_code == 404
    assert client.get("/suivi/territoires").status_code == 404  # facilitators are not coordinators
    assert client.get("/suivi/rapport-croise.pdf").status_code == 404
    assert app.test_client().get("/suivi/territoires").status_code == 302
    _validate_synthesis(app, made)
    make_user("coord@example.org", role="coordinator")
    coord = app.test_client()
    login(coord, "coord@example.org")
    side = coord.get("/suivi/territoires").get_data(as_text=True)
    assert side.count('class="territory-card"') == 2 and "Commune d&#39;Ardes : 2" in side
    assert re.search(r"validée v1", side)
    pdf = coord.get("/suivi/rapport-croise.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def _wait_export(client: FlaskClient, url: str) -> str:
    deadline = time.monotonic() + 60
    while 'hx-trigger="every 2s"' in (page := client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)):
        assert time.monotonic() < deadline, "export job did not finish"
        time.sleep(0.1)
    return page


def test_export_button_runs_a_job_that_writes_validated_content(login, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The coordinators' button: one job per click (double click included), written by the job worker,
    the files pass `mallette validate`; an export that would break the content is undone and says why."""
    from sqlite_template import sqlite_copy

    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "kit_content", content)
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "BUILD_DIR": str(tmp_path / "b"),
                      "DATABASE_URL": sqlite_copy(tmp_path / "e.sqlite3", PROJECT_ROOT / "kit_content"),
                      "CONTENT_DIR": str(content), "BASE_URL": "http://m.test"})
    create_user(app, "anim@example.org")
    coordinator = create_user(app, "coord@example.org", role="coordinator")
    made = make_session(_engine(app), facilitator="anim@example.org")
    _validate_synthesis(app, made)
    clock = FrozenClock()
    kit = get_state(app).kit
    with write_session(_engine(app)) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        version = synthesis.latest_validated(db, synthesis.find(db, made.meeting_id).id)  # type: ignore[union-attr]
        assert version is not None
        user = db.get(User, coordinator.id)
        assert user is not None
        fields = {k: v for k, v in PROPOSAL.items() if k != "kind"}
        first = proposals.propose(db, clock, kit, user, version, meeting,
                                  proposals.Draft(ProposalKind.FICHE_EXAMPLE, **fields))
        proposals.decide(db, clock, user, first, base_version=first.version, publish=True)

    anim = app.test_client()
    login(anim, "anim@example.org")
    coord = app.test_client()
    login(coord, "coord@example.org")
    assert "Exporter les propositions publiées" not in anim.get("/propositions").get_data(as_text=True)
    token = form_token(coord, "/propositions")
    assert anim.post("/propositions/export", data={"csrf_token": form_token(anim, "/propositions"),
                                                   "after": "0"}).status_code == 404
    assert coord.post("/propositions/export", data={"after": "0"}).status_code == 400  # no CSRF token
    queue = get_queue(app)
    clicks = [coord.post("/propositions/export", data={"csrf_token": token, "after": "0"}) for _ in range(2)]
    assert [c.status_code for c in clicks] == [303, 303] and clicks[0].location == clicks[1].location
    assert queue.pending() == 1  # a double click is one job
    status_url = clicks[0].location
    assert anim.get(status_url).status_code == 404
    waiting = coord.get(status_url).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in waiting and "Actualiser" in waiting  # htmx polling, a link without JS
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in waiting  # "updates itself" holds
    polled = coord.get(status_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert '<div id="export" aria-live="polite">' in waiting and "<h1" not in polled  # only the state is swapped:
    assert "Retour aux propositions" in waiting and "Retour aux propositions" not in polled  # focus stays put
    written = content / "initiatives" / "initiative-lieu-partage-ardes.md"
    assert not written.exists()  # the web worker wrote nothing
    with queue.thread_worker():
        page = _wait_export(coord, status_url)
    assert fr("Export terminé : 1 fichier(s) écrit(s)") in page
    assert "initiatives/initiative-lieu-partage-ardes.md" in page
    assert "Provenance" in written.read_text(encoding="utf-8")
    checked = CliRunner().invoke(cli, ["validate", "--strict", "--content", str(content)])
    assert checked.exit_code == 0, checked.output
    with read_session(_engine(app)) as db:
        assert db.exec(select(Proposal)).one().exported_at is not None
        assert len(db.exec(select(ProposalExport)).all()) == 1
    # the same (stale) page clicked again shows the export it already made
    again = coord.post("/propositions/export", data={"csrf_token": token, "after": "0"})
    assert again.location == status_url and queue.pending() == 0

    # an export that would break the content: its fiche is gone from the content meanwhile
    with write_session(_engine(app)) as db:
        user = db.get(User, coordinator.id)
        meeting = db.get(Meeting, made.meeting_id)
        version = synthesis.latest_validated(db, synthesis.find(db, made.meeting_id).id)  # type: ignore[union-attr]
        assert user is not None and meeting is not None and version is not None
        second = proposals.propose(db, clock, kit, user, version, meeting, proposals.Draft(
            ProposalKind.FICHE_EXAMPLE, **dict(fields, item_id="initiative-autre-exemple",
                                               target_id="fiche-faire-mouvement")))
        proposals.decide(db, clock, user, second, base_version=second.version, publish=True)
        second_id = second.id
    fiche = next(content.rglob("fiche-faire-mouvement.md"))
    fiche.unlink()
    listing = coord.get("/propositions").get_data(as_text=True)
    after = re.search(r'name="after" value="(\d+)"', listing)
    assert after and after.group(1) != "0"
    third = coord.post("/propositions/export", data={"csrf_token": token, "after": after.group(1)})
    assert third.location != status_url
    with queue.thread_worker():
        page = _wait_export(coord, third.location)
    assert "Export annulé" in page and "initiative-autre-exemple" in page, page
    assert not (content / "initiatives" / "initiative-autre-exemple.md").exists()
    with read_session(_engine(app)) as db:
        assert db.get(Proposal, second_id).exported_at is None  # type: ignore[union-attr]
    app.extensions["mallette"].engine.dispose()
