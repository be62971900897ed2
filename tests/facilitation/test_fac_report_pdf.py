"""The session report PDF: content, page numbers, bookmarks, tags; hostile notes inert, nothing fetched,
no attachment, no link that was not meant; consent respected."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

import pikepdf
from after_factory import make_session
from sqlalchemy.engine import Engine
from sqlmodel import select

from app.clock import FrozenClock
from app.config import PROJECT_ROOT
from app.db import read_session, write_session
from app.facilitation import debrief, impressions, reporting, synthesis
from app.facilitation.enums import Regard, ValidationDecision, ValidationParty
from app.kit import Kit
from app.models import AgendaStep, HalfDay, Meeting, Participant, Synthesis, User
from app.printing.render import resources
from app.printing.report import render_session_report

PRINT_DIR = PROJECT_ROOT / "print"
#: The fonts shipped in print/fonts/ (subset prefixes; bold and oblique may be synthesised from them).
SHIPPED_FONTS = re.compile(r"^/[A-Z]{6}\+(Atkinson-Hyperlegible|Source-Serif-4|Noto-Emoji)")
HOSTILE = [
    '<script>alert("x")</script><b>gras</b>',
    '<img src="file:///etc/passwd"><link rel="stylesheet" href="https://evil.example/a.css">',
    '<a href="https://evil.example/">lien</a> hx-get="/x" <iframe src="https://evil.example/f">',
    "<style>@import url(https://evil.example/i.css); body { background: url(file:///etc/hostname) }</style>",
    "\u202eevil\u202c 😀🌱 mot" + "x" * 10_000,
]


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _validated_session(engine: Engine) -> int:
    clock = FrozenClock()
    made = make_session(engine, texts=HOSTILE, notes=10, participants=4)
    with write_session(engine) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        cluster = debrief.create_cluster(db, clock, meeting, '<script>x</script> Groupe « lieu »')
        debrief.move_notes(db, clock, meeting, made.note_ids[:4], cluster.id)
        for index, participant_id in enumerate(made.participant_ids[:2]):
            person = db.get(Participant, participant_id)
            assert person is not None
            impressions.save(db, clock, meeting, person, text=f"Impression partagée {index} <i>ok</i>",
                             consent=index == 0, base_version=0, send=True)
        user = db.exec(select(User)).first()
        found = synthesis.start(db, clock, meeting, user)
        assert user is not None
        texts = {r: synthesis.regard_of(synthesis.latest(db, found), r) for r in Regard}
        texts[Regard.METHODS] = "Une **posture** d'écoute.\n\n<script>alert(1)</script>\n"
        synthesis.save(db, clock, found, base_version=1, texts=texts, user=user)
        for party in (ValidationParty.ASKING, ValidationParty.OFFERING):
            invitation = synthesis.invite_for(db, synthesis.invite(db, clock, found, party))
            synthesis.answer(db, clock, invitation, version_number=2, decision=ValidationDecision.APPROVED,
                             approver_name=f"Pour {party.value}")
        synthesis.record_in_person(db, clock, found, user=user, version_number=2, party=ValidationParty.VISITING_GROUP,
                                   approver_name="Pour groupe-visite", given_on=clock.now().date())
        assert synthesis.status(db, db.get(Synthesis, found.id) or found).frozen
    return made.meeting_id


def test_report_pdf_is_complete_tagged_and_inert(engine: Engine, kit: Kit, tmp_path: Path) -> None:
    meeting_id = _validated_session(engine)
    with read_session(engine) as db:
        meeting = db.get(Meeting, meeting_id)
        assert meeting is not None
        data = reporting.gather(db, meeting)
    fetcher = resources(PRINT_DIR).fetcher
    fetcher.requested.clear()
    fetcher.refused.clear()
    pdf, pages = render_session_report(data, kit, PRINT_DIR)
    assert list(fetcher.refused) == []
    assert all(url.startswith(("data:", PRINT_DIR.resolve().as_uri())) for url in fetcher.requested)

    document = pikepdf.open(io.BytesIO(pdf))
    assert len(document.pages) == pages >= 3
    root = document.Root
    assert "/StructTreeRoot" in root and root.MarkInfo.Marked  # tagged
    assert "/Names" not in root or "/EmbeddedFiles" not in root.Names  # no attachment
    uris = [str(a.A.URI) for page in document.pages for a in page.get("/Annots", []) if "/A" in a and "/URI" in a.A]
    assert uris == []  # participant text made no link
    titles = []
    with document.open_outline() as outline:
        stack = list(outline.root)
        while stack:
            item = stack.pop(0)
            titles.append(item.title)
            stack.extend(item.children)
    for heading in ("Déroulé de la séance", "Participation", "Notes par dimension de la grille", "Bilan collectif",
                    "Notes d'impression", "Note de synthèse"):
        assert heading in titles
    alt = [str(node.get("/Alt")) for node in _struct_nodes(root.StructTreeRoot) if "/Alt" in node]
    assert any(text.startswith("Notes et votes par dimension") for text in alt)
    assert any(str(node.get("/S")) == "/TH" for node in _struct_nodes(root.StructTreeRoot))

    fonts = {str(o.BaseFont) for o in document.objects
             if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"}
    assert all(SHIPPED_FONTS.match(name) for name in fonts), fonts  # only the shipped fonts
    assert any("+Noto-Emoji" in name for name in fonts), fonts  # the notes' emoji have their font

    text = _text(pdf, tmp_path)
    assert "😀🌱" in text
    assert '<script>alert("x")</script><b>gras</b>' in text  # shown as typed, not run
    assert "Impression partagée 0" in text and "Impression partagée 1" not in text  # consent respected
    assert "Accueil et tour de table" in text and re.search(rf"\b1 ?/ ?{pages}\b", text)
    # Markdown with raw HTML disabled: the facilitator's tag is shown as text, never markup
    assert "Une posture d'écoute." in text.replace("’", "'") and "<script>alert(1)</script>" in text
    assert "Pour accompagnatrice" in text and "Pour demandeuse" in text
    flat = " ".join(text.split())
    assert re.search(r"Pour groupe- ?visite\W*, accord donné en personne le \d\d/\d\d/\d{4}, "
                     r"enregistré par \W*Camille", flat)


def _struct_nodes(node: pikepdf.Object) -> list[pikepdf.Dictionary]:
    found, stack, seen = [], [node], set()
    while stack:
        current = stack.pop()
        if isinstance(current, pikepdf.Array):
            stack.extend(current)
            continue
        if not isinstance(current, pikepdf.Dictionary) or current.objgen in seen:
            continue
        seen.add(current.objgen)
        found.append(current)
        if "/K" in current:
            stack.append(current.K)
    return found



def test_the_report_lists_the_steps_half_day_by_half_day(engine: Engine) -> None:
    """Positions count within a half-day: the report's agenda goes through the first half-day's
    steps, then the second's (not step 1 of each, then step 2 of each)."""
    made = make_session(engine, notes=1)
    with write_session(engine) as db:
        first = db.exec(select(HalfDay).where(HalfDay.meeting_id == made.meeting_id)).one()
        first.position = 1  # made after the second one, planned before it
        db.add(first)
        second = HalfDay(meeting_id=made.meeting_id, title="Jour 1, après-midi", key="j1-apres-midi",
                         day=first.day, position=2)
        earlier = HalfDay(meeting_id=made.meeting_id, title="Avant la visite", key="avant", day=first.day,
                          position=0)
        db.add_all([second, earlier])
        db.flush()
        for half, titles in ((second, ["Visite du lieu", "Retour en salle"]), (earlier, ["Appel"])):
            for position, title in enumerate(titles):
                db.add(AgendaStep(meeting_id=made.meeting_id, half_day_id=half.id, position=position, title=title,
                                  planned_minutes=30))
    with read_session(engine) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        steps = reporting.gather(db, meeting).steps
    assert [(s.half_day, s.title) for s in steps] == [
        ("Avant la visite", "Appel"),
        ("Jour 1, matin", "Accueil et tour de table"), ("Jour 1, matin", "Carte de l'écosystème"),
        ("Jour 1, matin", "Bilan à chaud"),
        ("Jour 1, après-midi", "Visite du lieu"), ("Jour 1, après-midi", "Retour en salle"),
    ]

def test_csv_neutralises_formulas(engine: Engine) -> None:
    texts = ["=HYPERLINK(\"https://evil.example\")", "+1", "ordinaire", "ok;=cmd|' /C calc'!A0;",
             "a\t-2+3", 'x","=1+1']
    made = make_session(engine, texts=texts, notes=len(texts))
    with read_session(engine) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        csv_text = reporting.notes_csv(reporting.gather(db, meeting))
    rows = list(csv.reader(io.StringIO(csv_text)))
    column = rows[0].index("texte")
    assert sorted(r[column] for r in rows[1:]) == sorted([
        "'=HYPERLINK(\"https://evil.example\")", "'+1", "ordinaire", "ok;'=cmd|' /C calc'!A0;", "a\t'-2+3",
        'x","=1+1'])
    # A spreadsheet reading ";" or tab as the separator sees no cell that starts a formula either.
    for separator in (",", ";", "\t"):
        cells = [cell for row in csv.reader(io.StringIO(csv_text), delimiter=separator) for cell in row]
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")], separator


def test_emoji_print_as_glyphs_of_the_shipped_font(tmp_path: Path) -> None:
    """Emoji in a note are drawn by the shipped Noto Emoji, each its own glyph (a missing font draws
    the same empty box for every one of them)."""
    from PIL import Image, ImageChops
    from weasyprint import HTML

    from app.printing.report import _css

    res = resources(PRINT_DIR)
    images = []
    for index, emoji in enumerate(["😀", "🌱", "👩‍🌾"]):
        pdf = HTML(string=f'<p style="font-size: 60pt; margin: 0">{emoji}</p>', base_url=res.base_url,
                   url_fetcher=res.fetcher).render(stylesheets=[res.stylesheets["fonts.css"], _css(PRINT_DIR)],
                                                   font_config=res.font_config).write_pdf()
        document = pikepdf.open(io.BytesIO(pdf))
        fonts = {str(o.BaseFont) for o in document.objects
                 if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"}
        assert any("+Noto-Emoji" in name for name in fonts) and all(SHIPPED_FONTS.match(n) for n in fonts), fonts
        path = tmp_path / f"e{index}.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", "1", "-l", "1", "-x", "0", "-y", "0", "-W", "250",
                        "-H", "120", "-png", "-singlefile", str(path), str(tmp_path / f"e{index}")], check=True)
        image = Image.open(tmp_path / f"e{index}.png").convert("L")
        dark = sum(image.histogram()[:128])
        assert dark > 40, (emoji, dark)  # something is drawn
        images.append(image)
    for first, second in [(0, 1), (0, 2), (1, 2)]:
        assert ImageChops.difference(images[first], images[second]).getbbox() is not None  # not one same box
