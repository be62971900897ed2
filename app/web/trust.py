"""Trust and finish (issue 15): the accessibility statement, the legal notice, and the contact /
"signaler une erreur" form whose reports coordinators read.

The form is public and needs no account: CSRF-protected, rate-limited per address (Flask-Limiter:
in memory on a laptop, Redis when `REDIS_URL` is set so that every worker counts together), and
idempotent (a hidden key: a retried submission is stored once). A form with problems comes back
as a 422 with everything typed kept and each problem next to its field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click
from flask import Blueprint, Flask, Response, current_app, redirect, request, url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from .. import visitor_reports
from ..db import read_session, write_session
from .admin import coordinator
from .context import clock, engine
from .limits import limiter
from .rendering import render

bp = Blueprint("trust", __name__)

#: The date of the accessibility audit the statement reports (ISO), and the RGAA version.
AUDIT_DATE = "2026-12-01"
RGAA_VERSION = "4.1"

KIND_LABELS = {
    "contenu": _l("Une erreur dans le contenu de la mallette"),
    "accessibilite": _l("Un problème d'accessibilité"),
    "technique": _l("Une page qui ne marche pas"),
    "autre": _l("Une question ou une suggestion"),
}
PROBLEMS = {
    "required": _l("Ce champ est à remplir."),
    "too-short": _l("Décrivez le problème en une phrase au moins (10 caractères)."),
    "too-long": _l("Ce texte est trop long."),
    "invalid": _l("Ce texte contient des caractères de contrôle : retirez-les."),
    "email-invalid": _l("Cette adresse e-mail n'est pas valide."),
    "expired": _l("Le formulaire a expiré : rechargez la page, puis réessayez."),
}


@bp.app_template_filter("format_iso_date")
def format_iso_date(value: str) -> str:
    """An ISO date (`2026-12-01`) in words, in the interface language."""
    return str(format_date(date.fromisoformat(value), format="long"))


@bp.get("/accessibilite")
def accessibility() -> Response:
    """The accessibility statement (RGAA: partial conformity, what was tested, how to report)."""
    return render("trust/accessibility.html", "trust/_accessibility.html", audit_date=AUDIT_DATE,
                  rgaa=RGAA_VERSION)


@bp.get("/mentions-legales")
def legal() -> Response:
    """The legal notice: publisher, host, licences, personal data."""
    config = current_app.config
    return render("trust/legal.html", "trust/_legal.html", publisher=config.get("LEGAL_PUBLISHER", ""),
                  host=config.get("LEGAL_HOST", ""))


def _form_page(status: int = 200, form: dict[str, str] | None = None, problems: dict[str, str] | None = None,
               key: str | None = None) -> Response:
    values = form or {"page": request.args.get("page", "")[: visitor_reports.MAX_PAGE],
                      "kind": request.args.get("sujet", "")}
    return render("trust/report.html", "trust/_report.html", status=status, form=values,
                  problems={k: str(PROBLEMS.get(v, v)) for k, v in (problems or {}).items()},
                  key=key or visitor_reports.new_key(), kinds=KIND_LABELS, with_csrf=True)


@bp.route("/signaler", methods=["GET", "POST"])
@limiter.limit("5 per minute; 30 per hour", methods=["POST"])
def report() -> Response | BaseResponse:
    """The contact / "signaler une erreur" form; a stored report leads to the thanks page."""
    if request.method == "GET":
        return _form_page()
    from . import select_locale

    key = request.form.get("key", "")
    sent = visitor_reports.Report(kind=request.form.get("kind", ""), message=request.form.get("message", ""),
                                  page=request.form.get("page", ""), email=request.form.get("email", ""),
                                  language=select_locale())
    try:
        with write_session(engine()) as db:
            visitor_reports.submit(db, clock(), key, sent)
    except visitor_reports.InvalidReport as invalid:
        form = {k: str(v) for k, v in request.form.items() if k in ("kind", "message", "page", "email")}
        fresh = None if "form" in invalid.problems else key
        return _form_page(422, form, invalid.problems, key=fresh)
    return redirect(url_for("trust.thanks"), code=303)


@bp.get("/signaler/merci")
def thanks() -> Response:
    """After a report: what happens next."""
    return render("trust/thanks.html", "trust/_thanks.html")


@bp.get("/signalements")
@login_required
def reports_list() -> Response:
    """The reports, newest first: for coordinators only."""
    coordinator()
    with read_session(engine()) as db:
        reports = visitor_reports.latest(db)
        for row in reports:
            db.expunge(row)
    return render("trust/reports.html", "trust/_reports.html", reports=reports, kinds=KIND_LABELS)


def register_trust_commands(app: Flask) -> None:
    """`mallette reports`: the visitors' reports in the terminal."""

    @app.cli.command("reports")
    @click.option("--limit", default=50, show_default=True, help="Nombre de signalements affichés.")
    def reports_command(limit: int) -> None:
        """Affiche les derniers signalements reçus par le formulaire « Signaler une erreur »."""
        with read_session(engine()) as db:
            rows: list[Any] = visitor_reports.latest(db, limit=max(1, limit))
            if not rows:
                click.echo("Aucun signalement.")
                return
            for row in rows:
                click.echo(f"#{row.id} · {row.created_at:%Y-%m-%d %H:%M} UTC · {row.kind}"
                           f"{' · ' + row.page if row.page else ''}{' · ' + row.email if row.email else ''}")
                for line in row.message.splitlines() or [""]:
                    click.echo(f"    {click.unstyle(line)}")
