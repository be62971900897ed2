"""The `mallette` command: validate the content, index it, serve the app, build kits."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup

from .clock import SYSTEM_CLOCK
from .config import PROJECT_ROOT
from .kit import load_kit


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """Mallette pédagogique du MES."""


@cli.command("validate", with_appcontext=False)
@click.option("--strict", is_flag=True, help="Échoue aussi sur les avertissements.")
@click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier du contenu (par défaut kit_content/ ou $MALLETTE_CONTENT_DIR).",
)
def validate_command(strict: bool, content_dir: Path | None) -> None:
    """Relit tout le contenu et signale chaque problème (chemin:ligne: champ: problème)."""
    import os

    root = content_dir or Path(os.environ.get("MALLETTE_CONTENT_DIR") or PROJECT_ROOT / "kit_content")
    result = load_kit(root)
    base = _display_base(root)
    for problem in result.problems:
        label = "" if problem.is_error else "avertissement: "
        click.echo(f"{base}{problem.path}:{problem.line}: {problem.field}: {label}{problem.message}")
    errors, warnings = len(result.errors), len(result.warnings)
    click.echo(
        f"{len(result.kit)} éléments valides, {errors} erreur(s), {warnings} avertissement(s).",
        err=True,
    )
    if errors or (strict and warnings):
        sys.exit(1)


def _display_base(root: Path) -> str:
    """Prefix that makes root-relative paths relative to the working directory."""
    try:
        rel = root.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        rel = root.resolve()
    text = rel.as_posix()
    return "" if text == "." else text + "/"


def register_commands(app: Flask) -> None:
    """Commands that need the application (database, configuration)."""
    register_account_commands(app)
    register_backup_commands(app)
    register_transfer_commands(app)
    register_demo_commands(app)
    register_after_commands(app)
    register_job_commands(app)

    @app.cli.command("index")
    def index_command() -> None:
        """Relit le contenu et met à jour l'index de recherche."""
        from . import get_state

        state = get_state(app)
        state.refresh(force=True)
        result = state.result
        click.echo(f"{len(result.kit)} éléments indexés (version {result.kit.version}).")
        for problem in result.errors:
            click.echo(str(problem), err=True)
        if result.errors:
            sys.exit(1)

    @app.cli.command("build-kit")
    @click.option("--territory", required=True, help="Nom du territoire, imprimé sur la couverture.")
    @click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True)
    @click.option("--edition", type=click.Choice(["home", "shop"]), default="home", show_default=True,
                  help="home : planches à découper ; shop : une carte par page, fond perdu 3 mm.")
    @click.option("--decks", default="", help="Jeux à inclure, séparés par des virgules (tous par défaut).")
    @click.option("--back-offset", type=float, default=0.0, show_default=True,
                  help="Décalage horizontal des versos en mm (imprimantes qui décalent).")
    @click.option("--cards", default="",
                  help="Sélection : identifiants de cartes séparés par des virgules (un seul PDF de ces cartes).")
    @click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("dist"),
                  show_default=True)
    @click.option("--content", "content_dir", type=click.Path(file_okay=False, path_type=Path),
                  default=None, help="Dossier du contenu (par défaut celui de la configuration).")
    @click.option("--base-url", default=None, help="Adresse des QR codes (par défaut MALLETTE_BASE_URL).")
    def build_kit_command(
        territory: str, paper: str, edition: str, decks: str, back_offset: float, cards: str, out: Path,
        content_dir: Path | None, base_url: str | None,
    ) -> None:
        """Imprime la mallette d'un territoire : un PDF par jeu, le PDF complet et un ZIP."""
        from .printing.command import run_build_kit

        status = run_build_kit(
            app.config, territory=territory, paper=paper, edition=edition, decks=decks,
            back_offset=back_offset, cards=cards, out=out, content_dir=content_dir, base_url=base_url,
        )
        if status:
            sys.exit(status)


def register_account_commands(app: Flask) -> None:
    """`mallette create-user`: the first coordinator, and accounts made from the terminal."""

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["facilitator", "coordinator"]), default="facilitator",
                  show_default=True, help="coordinator : voit et gère tous les accompagnements.")
    @click.option("--name", "display_name", default=None, help="Nom affiché (par défaut, la partie avant @).")
    @click.option("--password-stdin", is_flag=True, help="Lit le mot de passe sur l'entrée standard.")
    def create_user_command(email: str, role: str, display_name: str | None, password_stdin: bool) -> None:
        """Crée un compte d'animateur·ice ou de coordinateur·ice (mot de passe demandé)."""
        from . import get_state
        from .clock import SYSTEM_CLOCK
        from .db import write_session
        from .facilitation import accounts
        from .facilitation.enums import UserRole
        from .facilitation.errors import DomainError

        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
        try:
            with write_session(get_state(app).engine) as db:
                user = accounts.create_user(
                    db, SYSTEM_CLOCK, email=email, display_name=display_name or email.split("@")[0],
                    password=password, role=UserRole(role),
                )
                created = user.email
        except DomainError as error:
            messages = {
                "email-taken": "cette adresse a déjà un compte",
                "email-invalid": "adresse e-mail non valide",
                "password-length": f"le mot de passe doit compter de {accounts.MIN_PASSWORD} à "
                                   f"{accounts.MAX_PASSWORD} caractères",
                "name-length": "nom affiché vide ou trop long",
            }
            click.echo(f"Erreur : {messages.get(error.code, error.code)}.", err=True)
            sys.exit(1)
        click.echo(f"Compte créé : {created} ({role}).")


def register_demo_commands(app: Flask) -> None:
    """`mallette demo`: a labelled demo accompaniment and its facilitator account (`--remove` deletes them)."""

    @app.cli.command("demo")
    @click.option("--remove", is_flag=True, help="Supprime l'accompagnement et le compte de démonstration.")
    def demo_command(remove: bool) -> None:
        """Crée (une seule fois) un accompagnement de démonstration et affiche l'identifiant de connexion."""
        from . import get_state
        from .clock import SYSTEM_CLOCK
        from .db import write_session
        from .facilitation import demo

        state = get_state(app)
        with write_session(state.engine) as db:
            if remove:
                count = demo.remove_demo(db)
                click.echo(f"Démonstration supprimée ({count} accompagnement·s).")
                return
            result = demo.create_demo(db, SYSTEM_CLOCK, state.kit)
        state_word = "créé" if result.created else "déjà présent"
        click.echo(f"Accompagnement de démonstration {state_word} (n° {result.accompaniment_id}).")
        click.echo(f"  Connexion démo : {result.email} / mot de passe : {result.password}")
        click.echo("  (supprimer la démonstration : mallette demo --remove)")


def register_backup_commands(app: Flask) -> None:
    """`mallette backup` and `mallette restore`, each with an integrity check."""

    @app.cli.command("backup")
    @click.option("--out", type=click.Path(path_type=Path), default=None,
                  help="Fichier, ou dossier (par défaut instance/backups/).")
    def backup_command(out: Path | None) -> None:
        """Sauvegarde la base (SQLite : copie en ligne ; PostgreSQL : pg_dump) et la vérifie."""
        from .backup import BackupError, backup, default_backup_path

        url = app.config["DATABASE_URL"]
        folder = Path(app.instance_path) / "backups"
        try:
            target = out if out is not None and out.suffix and not out.is_dir() else \
                default_backup_path(url, out or folder)
            report = backup(url, target)
        except BackupError as error:
            click.echo(f"Erreur : {error}", err=True)
            sys.exit(1)
        click.echo(f"Sauvegarde vérifiée : {report.path} ({len(report.manifest['tables'])} tables, "
                   f"{report.rows} lignes, révision {report.manifest['revision']}).")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Ne demande pas de confirmation.")
    def restore_command(source: Path, yes: bool) -> None:
        """Remplace le contenu de la base par une sauvegarde, après l'avoir vérifiée."""
        from . import get_state
        from .backup import BackupError, restore, verify
        from .db import upgrade

        url = app.config["DATABASE_URL"]
        try:
            verify(source)
            if not yes:
                click.confirm("Tout le contenu actuel de la base sera remplacé. Continuer ?", abort=True)
            state = get_state(app)
            state.engine.dispose()
            report = restore(url, source)
            upgrade(state.engine)  # a backup from an older version gets the newer migrations
        except BackupError as error:
            click.echo(f"Erreur : {error}", err=True)
            sys.exit(1)
        click.echo(f"Base restaurée depuis {report.path} : {report.rows} lignes vérifiées "
                   f"({len(report.manifest['tables'])} tables).")


def register_transfer_commands(app: Flask) -> None:
    """`mallette export-session` and `mallette import-session`: an accompaniment from a laptop to a server."""

    @app.cli.command("export-session")
    @click.argument("accompaniment")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Fichier à écrire (par défaut accompagnement-<uuid>-<date>.json).")
    def export_session_command(accompaniment: str, out: Path | None) -> None:
        """Écrit tout un accompagnement (séances, personnes, notes, votes, synthèses…) dans un fichier."""
        from . import get_state
        from .db import read_session
        from .facilitation.transfer import TransferError, export_accompaniment, find_accompaniment, write_document

        clock = app.config.get("CLOCK") or SYSTEM_CLOCK
        try:
            with read_session(get_state(app).engine) as db:
                found = find_accompaniment(db, accompaniment)
                if found is None or found.id is None:
                    raise TransferError(f"Accompagnement introuvable : {accompaniment} "
                                        "(donnez son uuid ou son numéro).")
                document = export_accompaniment(db, clock, found.id)
            target = out or Path(f"accompagnement-{found.uuid}-{clock.now():%Y%m%d-%H%M%S}.json")
            write_document(document, target)
        except TransferError as error:
            click.echo(f"Erreur : {error}", err=True)
            sys.exit(1)
        counts = ", ".join(f"{name} {count}" for name, count in document["manifest"]["counts"].items() if count)
        click.echo(f"Accompagnement « {found.title} » exporté dans {target} ({counts}).")
        click.echo(f"SHA-256 du contenu : {document['manifest']['sha256']}")

    @app.cli.command("import-session")
    @click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Montre ce qui changerait, sans rien écrire.")
    def import_session_command(source: Path, dry_run: bool) -> None:
        """Importe un accompagnement exporté ailleurs ; signale les conflits sans rien écraser."""
        from . import get_state
        from .db import write_session
        from .facilitation.transfer import MAX_BYTES, TransferError, import_document, read_document, summary_lines

        clock = app.config.get("CLOCK") or SYSTEM_CLOCK
        try:
            document = read_document(source, max_bytes=int(app.config.get("TRANSFER_MAX_BYTES") or MAX_BYTES))
        except TransferError as error:
            click.echo(f"Erreur : {error}", err=True)
            sys.exit(1)
        with write_session(get_state(app).engine) as db:
            report = import_document(db, clock, document, dry_run=dry_run)
        for line in summary_lines(report):
            click.echo(line)
        if report.conflicts or report.problems:
            sys.exit(2)


# -- jobs and serving ------------------------------------------------------------------------------


def register_job_commands(app: Flask) -> None:
    """`mallette worker`: the job worker (kit builds)."""

    @app.cli.command("worker")
    @click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
                  help="Travaux menés en même temps (chaque construction de kit utilise déjà tous les cœurs).")
    def worker_command(workers: int) -> None:
        """Lance le poste de travail : construit les kits demandés depuis le site (Ctrl-C pour arrêter)."""
        from .jobs import run_worker

        run_worker(app, workers=workers)


@cli.command("serve", with_appcontext=False)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Processus gunicorn qui répondent aux pages.")
@click.option("--host", default=None,
              help="Adresse d'écoute (127.0.0.1 par défaut ; toutes les interfaces avec --lan).")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--lan", is_flag=True,
              help="Sert le réseau local : écoute sur toutes les interfaces et met l'adresse locale du poste "
                   "dans les QR codes (sauf si MALLETTE_BASE_URL est défini).")
@click.option("--job-workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Travaux menés en même temps par le poste de travail.")
def serve_command(workers: int, host: str | None, port: int, lan: bool, job_workers: int) -> None:
    """Sert Mallette : gunicorn et le poste de travail ensemble ; Ctrl-C arrête les deux."""
    from .serving import serve

    sys.exit(serve(workers=workers, host=host, port=port, lan=lan, job_workers=job_workers))


def main() -> None:
    """Console-script entry point."""
    cli()


def register_after_commands(app: Flask) -> None:
    """`mallette export-proposals`: published capitalisation proposals written into the content."""

    @app.cli.command("export-proposals")
    @click.option("--content", "content_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Dossier du contenu (par défaut celui de l'application).")
    def export_proposals_command(content_dir: Path | None) -> None:
        """Écrit les propositions publiées en fichiers Markdown du contenu (puis : mallette validate, index)."""
        from . import get_state
        from .clock import SYSTEM_CLOCK
        from .db import write_session
        from .facilitation import proposals

        root = content_dir or Path(app.config["CONTENT_DIR"])
        with write_session(get_state(app).engine) as db:
            result = proposals.export(db, SYSTEM_CLOCK, root)
        for path in result.written:
            click.echo(f"écrit : {path}")
        for item_id, reason in result.refused:
            click.echo(f"refusé : {item_id} : {reason}", err=True)
        click.echo(f"{len(result.written)} écrit(s), {len(result.unchanged)} inchangé(s), "
                   f"{len(result.refused)} refusé(s).")
        if result.refused:
            sys.exit(1)
