"""Assemble a kit from its rendered parts: the booklet, one PDF per deck, the whole kit, the ZIP.

Merging keeps the parts' tagging (`merge.py`) and stamps the body's page numbers, numbered on from
one chunk of the body to the next; where the build may fork, the booklet and the whole kit are
merged at the same time (the booklet in a forked process). ZIP entries have fixed dates, so the
same parts give the same bytes.
"""

from __future__ import annotations

import io
import multiprocessing
import zipfile
from datetime import datetime
from multiprocessing.process import BaseProcess
from pathlib import Path

from .cache import atomic_write
from .cards import MALLETTE_NAME
from .merge import MergeInfo, MergePart, merge_pdfs
from .options import PIPELINE_VERSION, KitOptions, ProgressFn, Step
from .parallel import can_fork
from .parts import FOLIO_PAGES, Job, Rendered, render_folios
from .registration import REGISTRATION_TITLE
from .theme import PAPERS
from .tuckbox import TUCKBOX_TITLE


def merge_info(options: KitOptions, date: datetime, *, booklet: bool) -> MergeInfo:
    """Document information of the booklet or of the whole-kit PDF."""
    return MergeInfo(
        title=f"{MALLETTE_NAME} — {options.territory}" + (" — livret" if booklet else ""),
        author="Mouvement pour l'Économie Solidaire",
        subject=(f"Livret de la mallette pédagogique pour le territoire {options.territory}" if booklet
                 else "Mallette pédagogique complète : livret et jeux de cartes"),
        creator=f"Mallette, chaîne d'impression v{PIPELINE_VERSION}",
        date=date,
        duplex=options.edition == "home" and not booklet,
        group_bookmark="Planches de cartes",
    )


def body_parts(chunks: list[Rendered], paper: str) -> list[MergePart]:
    """The body's chunks as merged parts: one document, its pages numbered on from 1, centred on
    sheets of `paper` (they are `BOOKLET_PAGE`, the same on every paper)."""
    parts = []
    folio = 1
    for index, chunk in enumerate(chunks):
        first = index == 0
        parts.append(MergePart(chunk.data, label_style="D" if first else None, recto=first, continues=not first,
                               folio=folio, sheet_mm=PAPERS[paper]))
        folio += chunk.pages
    return parts


def folios_for(rendered: dict[str, Rendered], pages: int, job: Job) -> bytes:
    """The page numbers for a body of `pages` pages: the folios part, or more when it is longer."""
    if pages <= FOLIO_PAGES:
        return rendered["folios"].data
    return render_folios(job, "folios", pages).data


def assemble(
    rendered: dict[str, Rendered],
    body_names: list[str],
    job: Job,
    out_dir: Path,
    slug: str,
    date: datetime,
    report: ProgressFn,
    *,
    fork: bool = False,
) -> tuple[list[Path], Path, Path, int]:
    """Write the booklet, the decks, the whole kit and the ZIP: (files, whole PDF, ZIP, pages);
    with `fork`, the booklet is merged in a forked process while this one merges the whole kit."""
    options, entries = job.options, job.entries
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    chunks = [rendered[name] for name in body_names]
    folios = folios_for(rendered, sum(c.pages for c in chunks), job)
    booklet_parts = [MergePart(rendered["front"].data, label_style="r", sheet_mm=PAPERS[options.paper]),
                     *body_parts(chunks, options.paper)]
    booklet_path = out_dir / f"{slug}-livret.pdf"
    booklet = ForkedMerge(booklet_parts, booklet_path, merge_info(options, date, booklet=True), fork=fork,
                          folios=folios)
    files.append(booklet_path)
    deck_parts = []
    registration = rendered.get("registration")
    if registration is not None:
        path = out_dir / f"{slug}-test-recto-verso.pdf"
        atomic_write(path, registration.data)
        files.append(path)
        deck_parts.append(MergePart(registration.data, f"{REGISTRATION_TITLE} (à imprimer en premier)",
                                    label_prefix="Test – "))
    for entry in entries:
        path = out_dir / entry.file
        data = rendered[f"deck:{entry.deck.id}"].data
        atomic_write(path, data)
        files.append(path)
        deck_parts.append(MergePart(data, f"{entry.deck.title} ({entry.cards} cartes)",
                                    label_prefix=f"{entry.deck.title} – "))
    boxes = rendered.get("tuckboxes")
    if boxes is not None:
        path = out_dir / f"{slug}-boites.pdf"
        atomic_write(path, boxes.data)
        files.append(path)
        deck_parts.append(MergePart(boxes.data, f"{TUCKBOX_TITLE} (à imprimer en recto seul)",
                                    label_prefix="Boîte – "))
    whole_path = out_dir / f"{slug}-mallette-complete.pdf"
    pages = merge_pdfs(booklet_parts + deck_parts, whole_path, merge_info(options, date, booklet=False), folios)
    booklet.join()
    files.insert(0, whole_path)
    report(95, Step.ZIPPING, {})
    zip_path = out_dir / f"{slug}-mallette.zip"
    write_zip(zip_path, files, date)
    files.append(zip_path)
    return files, whole_path, zip_path, pages


class ForkedMerge:
    """A merge run in a forked process when `fork` says so (else, or if that process fails, here)."""

    def __init__(self, parts: list[MergePart], target: Path, info: MergeInfo, *, fork: bool,
                 folios: bytes | None = None) -> None:
        self.args = (parts, target, info, folios)
        self.process: BaseProcess | None = None
        if fork and can_fork():
            self.process = multiprocessing.get_context("fork").Process(
                target=merge_pdfs, args=self.args, name="merge", daemon=True
            )
            self.process.start()
        else:
            merge_pdfs(*self.args)

    def join(self) -> None:
        """Wait for the merge; do it here if the forked process did not finish it."""
        if self.process is None:
            return
        self.process.join()
        if self.process.exitcode != 0:
            merge_pdfs(*self.args)


ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write_zip(path: Path, files: list[Path], date: datetime) -> None:
    """A ZIP of `files` whose entries carry `date` (never before 1980), written atomically."""
    stamp = max(ZIP_DATE, (date.year, date.month, date.day, date.hour, date.minute, date.second))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(files, key=lambda p: p.name):
            info = zipfile.ZipInfo(file.name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, file.read_bytes())
    atomic_write(path, buffer.getvalue())
