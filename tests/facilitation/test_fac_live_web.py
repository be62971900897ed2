"""The live session over HTTP: console, projection, joining, phones; authorisation; live polls."""

from __future__ import annotations

import re

from factools import form_token
from flask import Flask
from flask.testing import FlaskClient
from french_ui import fr, texts_by_language
from live_factory import DIMENSIONS, planned_session
from sqlmodel import func, select

from app.db import read_session
from app.models import Meeting, Note, Participant, Vote


def _engine(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["mallette"].engine


def _started(app: Flask, client: FlaskClient, make_user, login, **kwargs):  # type: ignore[no-untyped-def]
    user = make_user("anim@example.org")
    login(client, "anim@example.org")
    plan = planned_session(_engine(app), member_id=user.id, **kwargs)
    console = f"/seances/{plan.meeting_id}/animer"
    page = client.get(console)
    assert page.status_code == 200 and "Démarrer la séance" in page.get_data(as_text=True)
    token = form_token(client, console)
    assert client.post(f"{console}/demarrer", data={"csrf_token": token}).status_code == 303
    with read_session(_engine(app)) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None and meeting.join_code
        code = meeting.join_code
    return plan, code


def _join(app: Flask, code: str, name: str) -> FlaskClient:
    phone = app.test_client()
    page = phone.get(f"/rejoindre/{code}")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    answer = phone.post(f"/rejoindre/{code}", data={"csrf_token": token.group(1), "name": name, "role": "habitant",
                                                    "community": ""})
    assert answer.status_code == 303 and "/p/" in answer.headers["Location"], answer.get_data(as_text=True)[:500]
    return phone


def _note_form(phone: FlaskClient, meeting_uuid: str) -> dict[str, str]:
    html = phone.get(f"/p/{meeting_uuid}").get_data(as_text=True)
    key = re.search(r'id="note-key" name="key" value="([^"]+)"', html)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert key and csrf
    return {"key": key.group(1), "csrf_token": csrf.group(1)}


def test_whole_flow_over_http(app: Flask, client: FlaskClient, make_user, login) -> None:  # type: ignore[no-untyped-def]
    plan, code = _started(app, client, make_user, login, votes=1)
    alice = _join(app, code, "Alice")
    # Scanning the code again on the same phone resumes: no second participant.
    again = alice.get(f"/rejoindre/{code}")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/p/{plan.meeting_uuid}")
    bob = _join(app, f"{code[:4].lower()}-{code[4:].lower()}", "Bob")
    with read_session(_engine(app)) as db:
        assert db.exec(select(func.count()).select_from(Participant)).one() == 2

    form = _note_form(alice, plan.meeting_uuid)
    note = {**form, "dimension": DIMENSIONS[0], "question": f"{DIMENSIONS[0]}.q2", "text": "<b>Mutualiser</b> un local"}
    first = alice.post(f"/p/{plan.meeting_uuid}/notes", data=note)
    second = alice.post(f"/p/{plan.meeting_uuid}/notes", data=note)  # double tap: same key
    assert first.status_code == 303 and second.status_code == 303
    with read_session(_engine(app)) as db:
        assert db.exec(select(func.count()).select_from(Note)).one() == 1

    # Bob cannot read the hidden note: its text is not in the HTML he receives.
    bob_page = bob.get(f"/p/{plan.meeting_uuid}").get_data(as_text=True)
    assert "Mutualiser" not in bob_page and fr("1 note pas encore révélée") in bob_page
    alice_page = alice.get(f"/p/{plan.meeting_uuid}").get_data(as_text=True)
    assert "&lt;b&gt;Mutualiser&lt;/b&gt; un local" in alice_page and "<b>Mutualiser" not in alice_page
    bob_poll = bob.get(f"/p/{plan.meeting_uuid}/live?v=1&e=1").get_data(as_text=True)
    assert "Mutualiser" not in bob_poll
    assert "Mutualiser" not in client.get(f"/seances/{plan.meeting_id}/projection").get_data(as_text=True)
    assert "Mutualiser" in client.get(f"/seances/{plan.meeting_id}/animer").get_data(as_text=True)

    # Live polls: 304 while nothing changes, a delta once something does.
    with read_session(_engine(app)) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None
        version, epoch = meeting.version, meeting.wall_epoch
    idle = bob.get(f"/p/{plan.meeting_uuid}/live?v={version}&e={epoch}")
    assert idle.status_code == 304 and idle.headers["Cache-Control"] == "no-cache" and idle.headers["ETag"]
    assert bob.get(f"/p/{plan.meeting_uuid}/live", headers={"If-None-Match": idle.headers["ETag"]}).status_code == 304
    assert alice.get(f"/p/{plan.meeting_uuid}/live", headers={"If-None-Match": idle.headers["ETag"]}).status_code == 200

    console = f"/seances/{plan.meeting_id}/animer"
    token = form_token(client, console)
    assert client.post(f"{console}/reveler", data={"csrf_token": token, "dimension": DIMENSIONS[0]}).status_code == 303
    changed = bob.get(f"/p/{plan.meeting_uuid}/live?v={version}&e={epoch}")
    assert changed.status_code == 200 and "Mutualiser" in changed.get_data(as_text=True)
    assert "Mutualiser" in client.get(f"/seances/{plan.meeting_id}/projection").get_data(as_text=True)

    # Votes: Bob has one; a second is refused by the server.
    with read_session(_engine(app)) as db:
        note_id = db.exec(select(Note.id)).one()
    csrf = _note_form(bob, plan.meeting_uuid)["csrf_token"]
    assert bob.post(f"/p/{plan.meeting_uuid}/votes", data={"csrf_token": csrf, "note": note_id}).status_code == 303
    form_b = _note_form(bob, plan.meeting_uuid)
    bob.post(f"/p/{plan.meeting_uuid}/notes", data={**form_b, "dimension": DIMENSIONS[0], "text": "Autre idée"})
    with read_session(_engine(app)) as db:
        other_id = db.exec(select(Note.id).where(Note.text == "Autre idée")).one()
    refused = bob.post(f"/p/{plan.meeting_uuid}/votes", data={"csrf_token": csrf, "note": other_id})
    assert refused.status_code == 422 and "utilisé vos 1 votes" in refused.get_data(as_text=True)
    with read_session(_engine(app)) as db:
        assert db.exec(select(func.count()).select_from(Vote)).one() == 1

    # Bob cannot edit or delete Alice's note; Alice can edit hers.
    assert bob.get(f"/p/{plan.meeting_uuid}/notes/{note_id}").status_code == 404
    assert bob.post(f"/p/{plan.meeting_uuid}/notes/{note_id}",
                    data={"csrf_token": csrf, "text": "Pirate"}).status_code == 404
    assert bob.post(f"/p/{plan.meeting_uuid}/notes/{note_id}",
                    data={"csrf_token": csrf, "delete": "1", "text": "x"}).status_code == 404
    csrf_a = _note_form(alice, plan.meeting_uuid)["csrf_token"]
    edited = alice.post(f"/p/{plan.meeting_uuid}/notes/{note_id}",
                        data={"csrf_token": csrf_a, "text": "Un local partagé"})
    assert edited.status_code == 303
    with read_session(_engine(app)) as db:
        assert db.get(Note, note_id).text == "Un local partagé"  # type: ignore[union-attr]

    # Closing asks first (the console links to a confirmation page; a post without it only leads
    # there); then the code expires, phones keep reading but cannot post.
    token = form_token(client, console)
    assert f'href="{console}/cloturer"' in client.get(console).get_data(as_text=True)
    unconfirmed = client.post(f"{console}/cloturer", data={"csrf_token": token})
    assert unconfirmed.status_code == 303 and unconfirmed.headers["Location"].endswith(f"{console}/cloturer")
    assert app.test_client().get(f"/rejoindre/{code}").status_code == 200  # still open
    page = client.get(f"{console}/cloturer").get_data(as_text=True)
    assert "ne peut pas être rouverte" in page and 'name="confirm" value="1"' in page
    client.post(f"{console}/cloturer", data={"csrf_token": token, "confirm": "1"})
    late = app.test_client().get(f"/rejoindre/{code}")
    assert late.status_code == 410 and "terminée" in late.get_data(as_text=True)
    # The phones: what comes next (the impression note, the debrief), nothing left to vote or edit,
    # on a reload and at the next poll alike.
    with read_session(_engine(app)) as db:
        closed = db.get(Meeting, plan.meeting_id)
        assert closed is not None
        version, epoch = closed.version, closed.wall_epoch
    polled = bob.get(f"/p/{plan.meeting_uuid}/live?v={version - 1}&e={epoch - 1}").get_data(as_text=True)
    for page in (alice.get(f"/p/{plan.meeting_uuid}").get_data(as_text=True), polled):
        assert f'href="/p/{plan.meeting_uuid}/impression"' in page and f'href="/p/{plan.meeting_uuid}/bilan"' in page
        assert ">Voter<" not in page and "Retirer mon vote" not in page and "Il vous reste" not in page
        assert "Un local partagé" in page and ">Modifier<" not in page
    assert 'id="note-form" class="note-form live-card" aria-labelledby="note-form-title" hx-swap-oob="true"' in polled


def test_strangers_and_other_sessions(app: Flask, client: FlaskClient, make_user, login) -> None:  # type: ignore[no-untyped-def]
    plan, code = _started(app, client, make_user, login)
    other = planned_session(_engine(app), title="Une autre séance")  # no member: the facilitator cannot see it
    assert client.get(f"/seances/{other.meeting_id}/animer").status_code == 404
    assert client.get(f"/seances/{other.meeting_id}/projection").status_code == 404
    assert client.post(f"/seances/{other.meeting_id}/animer/demarrer",
                       data={"csrf_token": form_token(client, f"/seances/{plan.meeting_id}/animer")}).status_code == 404
    stranger = app.test_client()
    assert stranger.get(f"/seances/{plan.meeting_id}/animer").status_code == 302  # to the sign-in page
    assert stranger.get(f"/p/{plan.meeting_uuid}").status_code == 303  # to the join form
    assert stranger.get(f"/p/{plan.meeting_uuid}/live").status_code == 404
    # A participant of another session is a stranger here.
    outsider_code = None
    with read_session(_engine(app)) as db:
        assert db.get(Meeting, other.meeting_id).join_code is None  # type: ignore[union-attr]
    assert outsider_code is None
    alice = _join(app, code, "Alice")
    assert alice.get(f"/p/{other.meeting_uuid}").status_code == 404
    assert alice.get(f"/p/{other.meeting_uuid}/live").status_code == 404
    # A guessed code, an impossible code.
    guessed = stranger.get("/rejoindre/ABCDEFGH" if code != "ABCDEFGH" else "/rejoindre/HGFEDCBA")
    assert guessed.status_code == 404 and "Aucune séance" in guessed.get_data(as_text=True)
    assert stranger.get("/rejoindre/O0O0O0O0").status_code == 404


def test_failed_joins_are_rate_limited_but_successes_are_not(app: Flask, client: FlaskClient, make_user,  # type: ignore[no-untyped-def]
                                                          login) -> None:
    plan, code = _started(app, client, make_user, login)
    room = app.test_client()
    for _ in range(30):  # a whole room behind one address joining: successes never count
        assert room.get(f"/rejoindre/{code}").status_code == 200
    wrong = "ABCDEFGH" if code != "ABCDEFGH" else "HGFEDCBA"
    same_code = [room.get(f"/rejoindre/{wrong}").status_code for _ in range(21)]
    assert same_code == [404] * 20 + [429]  # per code
    assert room.get(f"/rejoindre/{code}").status_code == 200  # the real code still opens
    letters = "ABCDEFGHJKMNPQRSTUVWXYZ"
    guesses = [f"ZZZZ{a}{b}{c}{d}" for a in letters[:2] for b in letters[:2] for c in letters[:4] for d in letters[:4]]
    statuses = [room.get(f"/rejoindre/{g}").status_code for g in guesses[:41]]
    assert statuses[:39] == [404] * 39 and statuses[-1] == 429  # per address: 60 failures a minute


def test_a_locked_database_answers_503_not_500(app: Flask, client: FlaskClient, make_user, login,  # type: ignore[no-untyped-def]
                                              monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    from app.facilitation import notes

    plan, code = _started(app, client, make_user, login)
    alice = _join(app, code, "Alice")
    form = _note_form(alice, plan.meeting_uuid)

    def locked(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(notes, "post", locked)
    answer = alice.post(f"/p/{plan.meeting_uuid}/notes", data={**form, "dimension": DIMENSIONS[0], "text": "Idée"})
    assert answer.status_code == 503 and answer.headers["Retry-After"]  # app/web/unavailable.py
    assert fr("enregistré : la base de données ne répond pas") in answer.get_data(as_text=True)


def test_the_answer_to_an_htmx_post_gives_a_fresh_key_in_the_phone_language(  # type: ignore[no-untyped-def]
        app: Flask, client: FlaskClient, make_user, login) -> None:
    """The answer is rendered once per language and kept: each one still carries a new key."""
    plan, code = _started(app, client, make_user, login)
    alice = _join(app, code, "Alice")
    bob = _join(app, code, "Bob")
    bob.set_cookie("lang", "en")
    keys = []
    for phone, sent in ((alice, "Note envoyée."), (bob, "Note sent."), (alice, "Note envoyée."), (bob, "Note sent.")):
        form = _note_form(phone, plan.meeting_uuid)
        answer = phone.post(f"/p/{plan.meeting_uuid}/notes", headers={"HX-Request": "true"},
                            data={**form, "dimension": DIMENSIONS[0], "question": "", "text": f"Idée {len(keys)}"})
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200 and sent in html, html
        key = re.search(r'id="note-key" name="key" value="([0-9a-f-]{36})"', html)
        assert key and key.group(1) != form["key"]
        keys.append(key.group(1))
    assert len(set(keys)) == 4
    with read_session(_engine(app)) as db:
        assert db.exec(select(func.count()).select_from(Note)).one() == 4


def test_the_kit_text_in_an_english_interface_is_marked_french(  # type: ignore[no-untyped-def]
        app: Flask, client: FlaskClient, make_user, login) -> None:
    """The kit stays French when the interface is English: step titles and instructions, the grid's
    dimensions and questions and the posture cards carry `lang="fr"` on every screen that shows them
    (console, projection, phone, planning), so that a screen reader reads them in French."""
    from app import get_state
    from app.web.live_updates import dimensions

    plan, code = _started(app, client, make_user, login)
    kit = get_state(app).kit
    with app.test_request_context():
        grid = {d.id: d for d in dimensions()}
    console = f"/seances/{plan.meeting_id}/animer"
    # Show a posture card to the room: its title and summary appear on the console, projection and phones.
    shown = {"csrf_token": form_token(client, console), "posture": "posture-accompagnement-horizontal"}
    assert client.post(f"{console}/posture", data=shown).status_code == 303
    alice = _join(app, code, "Alice")
    french: dict[str, set[str]] = {
        "step": {"Accueil croisé et attentes", "Le territoire se raconte"},
        "instructions": {"Chaque communauté se présente et dit ce qu’elle espère apprendre."},
        "dimension": {grid[d].title for d in DIMENSIONS},
        # The console lists the questions; the phone's menu says "dimension — question".
        "question": {f"{prefix}{text}" for _qid, text in grid[DIMENSIONS[0]].questions
                     for prefix in ("", f"{grid[DIMENSIONS[0]].title} — ")},
        "posture": {kit.get("posture-accompagnement-horizontal").title},  # type: ignore[union-attr]
    }
    screens = {
        "console": (client, console, {"step", "instructions", "dimension", "question", "posture"}),
        "projection": (client, f"/seances/{plan.meeting_id}/projection", {"step", "dimension", "posture"}),
        "phone": (alice, f"/p/{plan.meeting_uuid}", {"step", "dimension", "question", "posture"}),
        "planning": (client, f"/seances/{plan.meeting_id}/preparer", {"step"}),
        "step": (client, f"/seances/{plan.meeting_id}/etapes/{plan.step_ids[0]}/modifier",
                 {"step", "dimension", "posture"}),
    }
    for screen, (browser, path, kinds) in screens.items():
        browser.set_cookie("lang", "en")
        page = browser.get(path)
        assert page.status_code == 200, (screen, page.status_code)
        html = page.get_data(as_text=True)
        assert '<html lang="en">' in html, screen
        found = texts_by_language(html)
        for kind in kinds:
            shown = [(text, in_french) for text, in_french in found if text in french[kind]]
            assert shown, (screen, kind)  # the screen really shows it
            assert [text for text, in_french in shown if not in_french] == [], (screen, kind)
    # And the French interface does not repeat what the page already says.
    client.set_cookie("lang", "fr")
    assert ' lang="fr"' not in client.get(console).get_data(as_text=True).split("<body", 1)[1]


def test_a_mistyped_note_number_in_a_merge_is_said_on_the_console(app: Flask, client: FlaskClient, make_user,
                                                                   login) -> None:  # type: ignore[no-untyped-def]
    plan, code = _started(app, client, make_user, login)
    alice = _join(app, code, "Alice")
    for text in ("Un local partagé", "Un local en commun"):
        posted = alice.post(f"/p/{plan.meeting_uuid}/notes",
                            data={**_note_form(alice, plan.meeting_uuid), "dimension": DIMENSIONS[0], "text": text})
        assert posted.status_code == 303
    with read_session(_engine(app)) as db:
        first, second = sorted(n.id or 0 for n in db.exec(select(Note)).all())
    console = f"/seances/{plan.meeting_id}/animer"
    token = form_token(client, console)
    cases = [(second, 999_999, "Aucune note de la séance ne porte ce numéro"),
             (999_999, first, "Aucune note de la séance ne porte ce numéro"),
             (first, first, "Une note ne se regroupe pas avec elle-même")]
    for source, into, said in cases:
        answer = client.post(f"{console}/moderer", data={"csrf_token": token, "source": str(source), "into": str(into)})
        assert answer.status_code == 303 and answer.headers["Location"].endswith(f"{console}#mur")
        assert fr(said) in client.get(console).get_data(as_text=True), (source, into)
    merged = client.post(f"{console}/moderer", data={"csrf_token": token, "source": str(second), "into": str(first)})
    assert merged.status_code == 303
    with read_session(_engine(app)) as db:
        assert db.get(Note, second).merged_into_id == first  # type: ignore[union-attr]


def test_console_settings_say_they_are_applied_and_refuse_an_empty_vote_limit(app: Flask, client: FlaskClient,
                                                                               make_user, login) -> None:  # type: ignore[no-untyped-def]
    plan, _code = _started(app, client, make_user, login, votes=3)
    console = f"/seances/{plan.meeting_id}/animer"
    token = form_token(client, console)
    emptied = client.post(f"{console}/reglages", data={"csrf_token": token, "votes": ""})
    assert emptied.status_code == 303
    assert fr("Le nombre de votes va de 0 à 50.") in client.get(console).get_data(as_text=True)
    applied = client.post(f"{console}/reglages", data={"csrf_token": token, "votes": "5", "votes_revealed": "1"})
    assert applied.status_code == 303
    assert fr("Réglages appliqués.") in client.get(console).get_data(as_text=True)
    with read_session(_engine(app)) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None and meeting.votes_per_participant == 5 and meeting.votes_revealed
