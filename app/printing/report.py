"""Session reports as tagged PDFs, in the kit's look, through the deny-by-default fetcher.

`render_session_report(data, kit, print_dir)` lays out a `ReportData` (app.facilitation.reporting)
with `print/templates/report.html` and `print/css/report.css`: page numbers, bookmarks from the
headings, PDF/UA tags (table header cells, alternative text on the figure). Participant text is
escaped by the template; the synthesis comes from the one safe Markdown renderer. The only things
fetched are the kit's own fonts, CSS and icons under `print/`, and a `data:` chart.

`render_cross_report(entries, print_dir)` gathers validated syntheses of several accompaniments
by regard (the coordinators' report).
"""

from __future__ import annotations

import base64
import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from markupsafe import Markup
from markupsafe import escape as escape_html
from weasyprint import CSS, HTML

from ..facilitation.enums import MeetingKind, PersonRole, Regard, ValidationParty
from ..facilitation.reporting import ReportData
from ..facilitation.synthesis import REGARD_HEADINGS, regard_of
from ..facilitation.texts import short_quote
from ..kit import Kit
from ..kit.markdown import render_markdown
from .render import _render_lock, gc_paused, pdf_bytes, resources

ROLE_LABELS_FR = {
    PersonRole.VISITOR: "Visiteur·se", PersonRole.HOST: "Accueil", PersonRole.ELECTED: "Élu·e",
    PersonRole.INHABITANT: "Habitant·e", PersonRole.FUNDER: "Financeur", PersonRole.RESEARCHER: "Chercheur·se",
    PersonRole.FACILITATOR: "Animateur·ice", PersonRole.COORDINATOR: "Coordinateur·ice",
}
PARTY_LABELS_FR = {
    ValidationParty.ASKING: "communauté demandeuse",
    ValidationParty.OFFERING: "communauté accompagnatrice",
    ValidationParty.VISITING_GROUP: "groupe de visite",
}
KIND_LABELS_FR = {
    MeetingKind.LEARNING_VISIT: "Visite apprenante",
    MeetingKind.ACCOMPANIMENT_VISIT: "Visite d'accompagnement",
    MeetingKind.REFLEXIVE_SEMINAR: "Séminaire réflexif",
    MeetingKind.STEERING_MEETING: "Comité de pilotage",
    MeetingKind.ACTORS_RESEARCHERS_DAY: "Journée acteurs-chercheurs",
}

#: Short quotes per cluster (every note is printed in full once, under its dimension).
CLUSTER_QUOTES = 4

_css_lock = threading.Lock()
_report_css: dict[Path, CSS] = {}


def _css(print_dir: Path) -> CSS:
    res = resources(print_dir)
    key = res.print_dir
    with _css_lock:
        found = _report_css.get(key)
        if found is None:
            found = CSS(url=(key / "css" / "report.css").as_uri(), url_fetcher=res.fetcher,
                        font_config=res.font_config)
            _report_css[key] = found
    return found


def _pdf(print_dir: Path, template: str, context: dict[str, Any], key: str) -> tuple[bytes, int]:
    res = resources(print_dir)
    res.env.filters.setdefault("short_quote", short_quote)
    res.env.filters.setdefault("isolate", isolate)
    res.env.filters.setdefault("lines", lines)
    res.env.filters.setdefault("paragraphs", paragraphs)
    res.env.tests.setdefault("long_words", has_long_words)
    html = res.env.get_template(template).render(**context)
    with gc_paused():
        with _render_lock:
            document = HTML(string=html, base_url=res.base_url, url_fetcher=res.fetcher).render(
                stylesheets=[res.stylesheets["fonts.css"], _css(print_dir)], font_config=res.font_config)
        return pdf_bytes(document, key), len(document.pages)


def isolate(text: str) -> str:
    """Participant text between bidi isolates (FSI … PDI): an override inside ends with it."""
    return "\u2068" + str(text) + "\u2069"


#: A word longer than this may not fit a line: only then is it allowed to break anywhere (breaking
#: opportunities everywhere cost layout time on every note otherwise).
LONG_WORD = 40


def has_long_words(text: str) -> bool:
    """Whether the text holds a word that may not fit a line."""
    return any(len(word) > LONG_WORD for word in str(text).split())


def lines(text: str) -> Markup:
    """Participant text escaped, isolated, its line breaks kept as `<br>` (no pre-wrap layout cost)."""
    return Markup("<br>").join(escape_html(part) for part in isolate(text).split("\n"))


def paragraphs(text: str) -> Markup:
    """Participant text as escaped paragraphs (blank lines) with line breaks, each isolated."""
    chunks = [chunk.strip("\n") for chunk in re.split(r"\n\s*\n", str(text)) if chunk.strip()]
    return Markup("").join(Markup('<p class="participant-text{}">{}</p>').format(
        " long" if has_long_words(chunk) else "", lines(chunk)) for chunk in chunks)


def _chart(data: ReportData, titles: dict[str, str]) -> dict[str, str] | None:
    """A bar chart of notes and votes per dimension (numbers only), as a data: SVG with its alt text."""
    rows = [(titles.get(d, d), len(notes), sum(n.votes for n in notes)) for d, notes in data.notes_by_dimension.items()]
    if not rows:
        return None
    top = max(max(n, v) for _t, n, v in rows) or 1
    step = 34
    height = step * len(rows) + 8
    bars = []
    for index, (title, notes, votes) in enumerate(rows):
        y = 4 + index * step
        bars.append(f'<text x="0" y="{y + 9}" font-size="9" font-family="Atkinson Hyperlegible" '
                    f'fill="#1b1f24">{escape(title[:90])}</text>'
                    f'<rect x="0" y="{y + 13}" width="{380 * notes / top:.1f}" height="8" fill="#272260"/>'
                    f'<rect x="0" y="{y + 22}" width="{380 * votes / top:.1f}" height="6" fill="#9390c4"/>'
                    f'<text x="{380 * max(notes, votes) / top + 4:.1f}" y="{y + 25}" font-size="8.5" '
                    f'font-family="Atkinson Hyperlegible" fill="#4d5661">'
                    f'{_count(notes, "note")}, {_count(votes, "vote")}</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="480" height="{height}" '
           f'viewBox="0 0 480 {height}">{"".join(bars)}</svg>')
    alt = "Notes et votes par dimension : " + " ; ".join(
        f"{title} : {_count(notes, 'note')}, {_count(votes, 'vote')}" for title, notes, votes in rows) + "."
    return {"src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(), "alt": alt}


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'s' if number > 1 else ''}"


def _dates(start: date | None, end: date | None) -> str:
    if start is None:
        return ""
    if end is None or end == start:
        return start.strftime("%d/%m/%Y")
    return f"du {start.strftime('%d/%m/%Y')} au {end.strftime('%d/%m/%Y')}"


def render_session_report(data: ReportData, kit: Kit, print_dir: Path) -> tuple[bytes, int]:
    """The session report as PDF bytes, and its page count."""
    titles = {item.id: item.title for item in kit}
    version = data.validated
    synthesis_parts = [(regard, render_markdown(regard_of(version, regard))) for regard in Regard] if version else []
    context = {
        "data": data,
        "meta": {"title": f"Rapport de séance — {data.meeting.title}", "author": "Mallette pédagogique du MES",
                 "description": f"{data.accompaniment.title} : déroulé, participation, notes, bilan, synthèse.",
                 "keywords": "rapport de séance, accompagnement, économie solidaire", "generator": "Mallette",
                 "date": (data.meeting.ends_on or data.meeting.starts_on or date.today()).isoformat()},
        "kind_label": KIND_LABELS_FR.get(data.meeting.kind, str(data.meeting.kind)),
        "dates": _dates(data.meeting.starts_on, data.meeting.ends_on),
        "role_labels": ROLE_LABELS_FR,
        "party_labels": PARTY_LABELS_FR,
        "regard_labels": REGARD_HEADINGS,
        "dimension_titles": titles,
        "card_titles": titles,
        "chart": _chart(data, titles),
        "synthesis": synthesis_parts,
        "quotes": CLUSTER_QUOTES,
        "validations": [(party, data.validations[party]) for party in ValidationParty if party in data.validations],
    }
    return _pdf(print_dir, "report.html", context, f"report:{data.meeting.uuid}:{version.number if version else 0}")


@dataclass
class CrossEntry:
    """One validated synthesis in the cross-accompaniment report."""

    territory: str
    accompaniment: str
    meeting: str
    version: int
    validated_on: date | None
    regards: dict[Regard, Markup]


def render_cross_report(entries: list[CrossEntry], print_dir: Path, *, title: str) -> tuple[bytes, int]:
    """The validated syntheses of several accompaniments, gathered by regard, as PDF bytes and page count."""
    context = {
        "meta": {"title": title, "author": "Mallette pédagogique du MES",
                 "description": "Les notes de synthèse validées, regard par regard.",
                 "keywords": "recherche-action, synthèse, accompagnement", "generator": "Mallette",
                 "date": date.today().isoformat()},
        "title": title, "entries": entries, "regards": list(Regard), "regard_labels": REGARD_HEADINGS,
    }
    key = "cross:" + ",".join(f"{e.accompaniment}:{e.version}" for e in entries)
    return _pdf(print_dir, "cross-report.html", context, key)


# -- the background job ------------------------------------------------------------------------------

REPORT_JOB = "report-pdf"


def report_key(data: ReportData, kit: Kit) -> str:
    """A fingerprint of what a report shows (its data and the kit version): the row key of its job."""
    import hashlib

    from ..facilitation.reporting import as_json

    return hashlib.sha256(f"{kit.version}\0{as_json(data)}".encode()).hexdigest()[:40]


def run_report_job(app: Any, row: Any, report: Any) -> dict[str, Any]:
    """Job `report-pdf`: render the session's report into BUILD_DIR/reports/<key>.pdf."""
    import os

    from .. import get_state
    from ..db import read_session
    from ..facilitation.reporting import gather
    from ..jobs import JobError
    from ..models import Meeting

    state = get_state(app)
    with read_session(state.engine) as db:
        meeting = db.get(Meeting, row.meeting_id)
        if meeting is None:
            raise JobError("meeting-gone", "the session was deleted")
        data = gather(db, meeting)
    report(20, "report-rendering", {})
    pdf, pages = render_session_report(data, state.kit, Path(app.config["PRINT_DIR"]))
    folder = Path(app.config["BUILD_DIR"]) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{row.key}.pdf"
    for stale in folder.glob(f".{name}.*"):  # half-written by an attempt whose worker was killed
        stale.unlink(missing_ok=True)
    partial = folder / f".{name}.{os.getpid()}"
    partial.write_bytes(pdf)
    partial.replace(folder / name)  # atomic: the served name only ever holds a whole PDF
    return {"file": name, "pages": pages}
