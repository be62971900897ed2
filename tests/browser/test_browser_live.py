"""A whole live session in real browsers: a facilitator, a projection and three phones."""

from __future__ import annotations

import io
import re
import time

import pytest
from conftest import LiveServer
from factools import TEST_PASSWORD, create_user
from live_factory import planned_session
from playwright.sync_api import expect
from sqlmodel import func, select

from app.db import read_session
from app.models import Meeting, Note, Participant, Vote

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 640}
#: Phones may have wrong clocks: Carol's runs five minutes fast.
CAROL_CLOCK_SKEW_MS = 5 * 60_000
SKEW_SCRIPT = ("(() => { const skew = " + str(CAROL_CLOCK_SKEW_MS)
               + "; const real = Date.now.bind(Date); Date.now = () => real() + skew; })();")


def _seconds(text: str) -> int:
    minutes, seconds = text.strip().lstrip("+").split(":")[-2:]
    return int(minutes) * 60 + int(seconds)


def _seconds_left(engine, meeting_id: int) -> float:  # type: ignore[no-untyped-def]
    from app.clock import SYSTEM_CLOCK

    with read_session(engine) as db:
        meeting = db.get(Meeting, meeting_id)
        deadline = meeting.timer_deadline if meeting else None
    return (deadline - SYSTEM_CLOCK.now()).total_seconds() if deadline else 0.0


def _wait_for(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until `condition()` holds (what a click sent has been stored), or fail after `timeout` s."""
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_a_whole_live_session(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    app, url = live_server.app, live_server.url
    engine = app.extensions["mallette"].engine
    user = create_user(app, "live-anim@example.org")
    plan = planned_session(engine, member_id=user.id, votes=2)
    contexts = []

    # The facilitator signs in and starts the planned learning visit from the console.
    desk = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    contexts.append(desk)
    console = desk.new_page()
    console.goto(f"{url}/connexion")
    signed = desk.request.post(f"{url}/connexion", max_redirects=0, form={
        "csrf_token": console.input_value("input[name=csrf_token]"), "email": "live-anim@example.org",
        "password": TEST_PASSWORD})
    assert signed.status == 303
    console.goto(f"{url}/seances/{plan.meeting_id}/animer")
    console.click("text=Démarrer la séance")
    code = console.inner_text(".join-code").strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    projection = desk.new_page()
    projection.goto(f"{url}/seances/{plan.meeting_id}/projection")

    # The projection's QR code carries the app's base URL and the code.
    import zxingcpp
    from PIL import Image

    shot = projection.locator(".projection-qr svg").screenshot()
    decoded = [c.text for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))]
    assert decoded == [f"{url}/rejoindre/{code.replace('-', '')}"]

    # Three participants join by code on phone-sized screens (Carol's phone clock is wrong).
    phones = {}
    for name in ("Alice", "Bob", "Carol"):
        context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True, has_touch=True)
        contexts.append(context)
        if name == "Carol":
            context.add_init_script(SKEW_SCRIPT)
        phone = context.new_page()
        phone.set_default_timeout(10_000)
        phone.goto(f"{url}/rejoindre")
        phone.fill("#code", code.lower().replace("-", " "))
        phone.click("main button[type=submit]")
        phone.fill("#name", name)
        phone.check("input[name=role][value=habitant]")
        phone.click("main button[type=submit]")
        phone.wait_for_selector("text=Accueil croisé et attentes")
        phones[name] = phone
    console.wait_for_selector("text=3 personnes présentes")

    # Each posts a note; Alice's is sent twice (a retry with the same key): it is stored once.
    for name, phone in phones.items():
        phone.fill("#text", f"Note de {name} sur la coopération")
        phone.click("#note-form button[type=submit]")
        phone.wait_for_selector("#note-status >> text=Note envoyée.")
    alice = phones["Alice"]
    alice.fill("#text", "Une épicerie solidaire partagée")
    form = {"csrf_token": alice.input_value("#note-form input[name=csrf_token]"),
            "key": alice.input_value("#note-key"), "dimension": "dim-cooperation", "question": "",
            "text": "Une épicerie solidaire partagée"}
    for _attempt in range(2):
        answer = alice.request.post(f"{url}/p/{plan.meeting_uuid}/notes", form=form, headers={"HX-Request": "true"})
        assert answer.status == 200
    with read_session(engine) as db:
        assert db.exec(select(func.count()).select_from(Note).where(Note.text == form["text"])).one() == 1
        assert db.exec(select(func.count()).select_from(Participant)).one() == 3

    # The question list follows the chosen dimension (the server checks the pair anyway).
    carol = phones["Carol"]
    dimensions = carol.eval_on_selector_all("#dimension option", "os => os.map(o => o.value)")
    for dimension in dimensions[:2]:
        carol.select_option("#dimension", dimension)
        shown = carol.eval_on_selector_all("#question option:not([hidden])", "os => os.map(o => o.value)")
        everything = carol.eval_on_selector_all("#question option", "os => os.map(o => o.value)")
        assert shown[0] == "" and len(shown) > 1
        assert shown[1:] == [q for q in everything if q.startswith(dimension + ".")]

    # Bob's wifi drops as he sends a note: his form and text stay, with a message; back online, the
    # same button sends it, once, and the message goes.
    bob, dropped = phones["Bob"], "Un tiers-lieu pour la coopération"
    bob.fill("#text", dropped)
    bob.context.set_offline(True)
    bob.click("#note-form button[type=submit]")
    bob.locator("#note-form [data-network-message][role=alert]", has_text="Connexion impossible").wait_for()
    assert bob.input_value("#text") == dropped
    bob.context.set_offline(False)
    bob.click("#note-form button[type=submit]")
    expect(bob.locator("#text")).to_have_value("")
    expect(bob.locator("[data-network-message]")).to_have_count(0)
    with read_session(engine) as db:
        assert db.exec(select(func.count()).select_from(Note).where(Note.text == dropped)).one() == 1

    # Hidden until revealed: Bob's browser, up to date with the session, never received Alice's text.
    with read_session(engine) as db:
        version = db.get(Meeting, plan.meeting_id).version  # type: ignore[union-attr]
    phones["Bob"].wait_for_selector(f"#live-poll[data-version='{version}']", state="attached")
    projection.wait_for_selector(f"#live-poll[data-version='{version}']", state="attached")
    console.wait_for_selector(f"#live-poll[data-version='{version}']", state="attached")  # polls too
    assert "Note de Alice" not in phones["Bob"].content()
    assert "Note de Alice" not in projection.content()
    assert "Note de Alice" in console.content()

    # The facilitator reveals the dimension: every screen follows.
    console.click("button:has-text('Révéler : Formes et parties prenantes de la coopération')")
    for screen in (*phones.values(), projection):
        screen.wait_for_selector("text=Note de Alice sur la coopération")
        screen.wait_for_selector("text=Une épicerie solidaire partagée")

    # Bob votes up to his limit (2), then once more: refused by the server.
    for text in ("Note de Alice sur la coopération", "Note de Carol sur la coopération"):
        bob.locator("li.note", has_text=text).locator("button.vote").click()
        bob.locator("li.note", has_text=text).locator("button.vote-on").wait_for()
    bob.wait_for_selector("text=Vous avez utilisé tous vos votes.")
    bob.locator("li.note", has_text="Une épicerie solidaire").locator("button.vote").click()
    bob.wait_for_selector("#vote-message >> text=Vous avez utilisé vos 2 votes")
    with read_session(engine) as db:
        bob_id = db.exec(select(Participant.id).where(Participant.name == "Bob")).one()
        assert db.exec(select(func.count()).select_from(Vote).where(Vote.participant_id == bob_id)).one() == 2

    # The timer: start, extend by 5 minutes; Carol reloads and sees the right time despite her clock.
    console.click("#console-step button:has-text('Démarrer')")
    console.wait_for_selector("#console-step button:has-text('Pause')")
    console.click("#console-step button:has-text('+5 min')")
    _wait_for(lambda: _seconds_left(engine, plan.meeting_id) > 24 * 60)  # the click's POST is in
    carol = phones["Carol"]
    carol.reload()
    carol.wait_for_timeout(1500)  # the clock-offset measurement
    shown = _seconds(carol.inner_text("#live-status .countdown-value"))
    with read_session(engine) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None and meeting.timer_deadline is not None
        from app.clock import SYSTEM_CLOCK

        deadline, extended = meeting.timer_deadline, meeting.version
        expected = (deadline - SYSTEM_CLOCK.now()).total_seconds()
    assert 24 * 60 < expected <= 25 * 60
    assert abs(shown - expected) <= 2, (shown, expected)
    for name in ("Alice", "Bob"):
        # Their pages learn of the +5 min at their next poll (every 2 s), which may come after Carol's reload.
        phones[name].wait_for_selector(f"#live-poll[data-version='{extended}']", state="attached")
        left = (deadline - SYSTEM_CLOCK.now()).total_seconds()
        assert abs(_seconds(phones[name].inner_text("#live-status .countdown-value")) - left) <= 3

    # The facilitator advances: every screen follows to the next step.
    console.click("button:has-text('Étape suivante')")
    for screen in (*phones.values(), projection):
        screen.wait_for_selector("#live-status >> text=Le territoire se raconte")
    assert "45:00" in carol.inner_text("#live-status .countdown-value")
    for context in contexts:
        context.close()
