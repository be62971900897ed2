"""Territory kits: one PDF per deck, the booklet, a whole-kit PDF with bookmarks, and a ZIP.

Each deck, the booklet's body and the booklet's front are rendered as one WeasyPrint document
each, in parallel across cores (forked workers inherit the loaded fonts and stylesheets), and
cached by a hash of everything that goes into them, so that an unchanged part is never rendered
twice. The body does not depend on the territory: another territory's kit renders only its front
(cover, colophon, contents). The front is rendered once the body is, since its contents print the
body's page numbers. The booklet and the whole kit are then merged, still tagged (`merge.py`).
Output is deterministic: PDF dates come from the content files, identifiers from the input hash,
ZIP entries have fixed dates.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import re
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pydyf

from app.kit.model import Kit, KitItem
from app.kit.schema import ItemType

from .booklet import BODY_SECTIONS, BookletBuilder, DeckEntry
from .cache import DEFAULT_BUDGET_BYTES, atomic_write, mark_used, prune
from .cards import (
    MALLETTE_NAME,
    card_views,
    home_context,
    shop_context,
    single_context,
)
from .decks import Deck, deck_items, decks_for_item, load_decks, missing_items
from .imposition import home_page_count, shop_page_count
from .merge import DEST_LINK_PREFIX, MergeInfo, MergePart, merge_pdfs
from .render import (
    CardOverflowError,
    PrintError,
    find_overflows,
    fresh_locks_after_fork,
    pdf_bytes,
    render_html,
    resources,
)
from .theme import PAPERS, TYPE_STYLES

#: Bump when the rendering changes in a way the asset hash does not see.
PIPELINE_VERSION = "2"
PAPER_CHOICES = tuple(PAPERS)
EDITIONS = ("home", "shop")
MAX_OFFSET_MM = 10.0
ProgressFn = Callable[[int, str], None]


@dataclass(frozen=True)
class KitOptions:
    """What a territory asks for: its name, paper, edition, decks and printer back offset."""

    territory: str
    paper: str = "a4"
    edition: str = "home"
    decks: tuple[str, ...] = ()
    back_offset_mm: float = 0.0

    def __post_init__(self) -> None:
        territory = " ".join(str(self.territory).split())
        if not territory or len(territory) > 80:
            raise ValueError("le nom du territoire doit faire de 1 à 80 caractères")
        if self.paper not in PAPER_CHOICES:
            raise ValueError(f"papier « {self.paper} » inconnu ({', '.join(PAPER_CHOICES)})")
        if self.edition not in EDITIONS:
            raise ValueError(f"édition « {self.edition} » inconnue ({', '.join(EDITIONS)})")
        if not -MAX_OFFSET_MM <= float(self.back_offset_mm) <= MAX_OFFSET_MM:
            raise ValueError(f"le décalage du verso doit rester entre -{MAX_OFFSET_MM:g} et {MAX_OFFSET_MM:g} mm")
        object.__setattr__(self, "territory", territory)
        object.__setattr__(self, "decks", tuple(self.decks))
        object.__setattr__(self, "back_offset_mm", round(float(self.back_offset_mm), 2))

    def as_dict(self) -> dict[str, Any]:
        """The options as plain data."""
        return {
            "territory": self.territory,
            "paper": self.paper,
            "edition": self.edition,
            "decks": list(self.decks),
            "back_offset_mm": self.back_offset_mm,
        }

    def cache_key(self, content_hash: str) -> str:
        """Hex digest of the options and the content hash (and the pipeline version)."""
        payload = json.dumps(
            {"options": self.as_dict(), "content": content_hash, "pipeline": PIPELINE_VERSION},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class KitResult:
    """What `build_kit` wrote: every file (PDFs then the ZIP), the ZIP, the whole-kit PDF, its pages."""

    files: list[Path]
    zip_path: Path
    whole_pdf: Path
    pages: int


# --------------------------------------------------------------------------- hashing, dates


def _sha(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=8)
def _assets_hash_cached(print_dir: str, stamp: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256(PIPELINE_VERSION.encode())
    for rel, _size, _mtime in stamp:
        digest.update(rel.encode())
        digest.update(Path(print_dir, rel).read_bytes() if not rel.startswith("@") else b"")
    code_dir = Path(__file__).parent
    for path in sorted(code_dir.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def assets_hash(print_dir: Path) -> str:
    """Hash of the print assets (templates, CSS, fonts, icons) and of this package's code."""
    root = Path(print_dir)
    stamp = tuple(
        (p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    )
    code = tuple(
        ("@" + p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(Path(__file__).parent.glob("*.py"))
    )
    return _assets_hash_cached(str(root), stamp + code)


def content_date(kit: Kit, items: Iterable[KitItem] | None = None) -> datetime:
    """The date printed and stored in PDFs: `SOURCE_DATE_EPOCH`, else the newest content file."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    chosen = list(items) if items is not None else list(kit)
    stamps = []
    for item in chosen:
        try:
            stamps.append(int((kit.root / item.path).stat().st_mtime))
        except OSError:
            continue
    return datetime.fromtimestamp(max(stamps) if stamps else 0, UTC)


def _meta(title: str, description: str, date: datetime, keywords: str) -> dict[str, str]:
    return {
        "title": title,
        "author": "Mouvement pour l'Économie Solidaire",
        "description": description,
        "keywords": keywords,
        "generator": f"Mallette, chaîne d'impression v{PIPELINE_VERSION}",
        "date": date.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    }


def slugify(text: str) -> str:
    """'Pays de Couserans' -> 'pays-de-couserans' (ASCII, for file names)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:50] or "territoire"


# --------------------------------------------------------------------------- PDF finishers


def _finisher(*, viewer: bool, shop_bleed_mm: float | None) -> Callable[[Any, Any], None]:
    """Set viewer preferences (no scaling, long-edge duplex) and the print-shop BleedBox."""

    def finish(_document: Any, pdf: Any) -> None:
        if viewer:
            pdf.catalog["ViewerPreferences"] = pydyf.Dictionary(
                {"PrintScaling": "/None", "Duplex": "/DuplexFlipLongEdge", "DisplayDocTitle": "true"}
            )
        if shop_bleed_mm is not None:
            bleed = shop_bleed_mm * 72 / 25.4
            for obj in pdf.objects:
                if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page" and "TrimBox" in obj:
                    left, top, right, bottom = (float(v) for v in obj["TrimBox"])
                    obj["BleedBox"] = pydyf.Array(
                        [round(left - bleed, 3), round(top - bleed, 3), round(right + bleed, 3),
                         round(bottom + bleed, 3)]
                    )

    return finish


# --------------------------------------------------------------------------- part rendering


@dataclass(frozen=True)
class _Part:
    """One document to render: a deck, the booklet's body or its front."""

    name: str  # "deck:<id>" | "body" | "front"
    key: str
    weight: int


@dataclass(frozen=True)
class _Rendered:
    """A rendered part: PDF bytes, pages, overflowing cards, and (body) its anchors' page numbers."""

    name: str
    data: bytes
    pages: int
    overflows: list[tuple[str, str, float]]
    anchors: dict[str, int]


@dataclass
class _Job:
    """Shared inputs of a build (inherited by forked workers)."""

    kit: Kit
    options: KitOptions
    decks: dict[str, Deck]
    entries: list[DeckEntry]
    base_url: str
    print_dir: Path


_current_job: _Job | None = None
#: One build at a time per process: forked workers read the job from `_current_job`.
_build_lock = threading.Lock()


def _render_deck(job: _Job, deck: Deck, key: str) -> tuple[bytes, int, list[tuple[str, str, float]]]:
    res = resources(job.print_dir)
    cards = card_views(deck, job.kit, base_url=job.base_url, print_dir=job.print_dir)
    date = content_date(job.kit, [c.item for c in cards])
    edition = job.options.edition
    meta = _meta(
        f"{deck.title} — {MALLETTE_NAME}",
        f"{deck.description} Édition {'imprimerie' if edition == 'shop' else 'maison ou bureau'}.",
        date,
        f"mallette, économie solidaire, cartes, {deck.id}",
    )
    if edition == "shop":
        document = render_html(res, "deck-shop.html", shop_context(deck, cards, meta=meta), "cards.css")
        finisher = _finisher(viewer=False, shop_bleed_mm=3.0)
    else:
        context = home_context(
            deck, cards, paper=job.options.paper, back_offset_mm=job.options.back_offset_mm, meta=meta
        )
        document = render_html(res, "deck-home.html", context, "cards.css")
        finisher = _finisher(viewer=True, shop_bleed_mm=None)
    overflows = find_overflows(document)
    if overflows:
        return b"", len(document.pages), overflows
    return pdf_bytes(document, key, finisher=finisher), len(document.pages), []


def _body_items(kit: Kit) -> list[KitItem]:
    """The items the booklet's body prints (its key and its date depend on them only)."""
    return [item for _anchor, _title, kind in BODY_SECTIONS for item in kit.by_type(kind)]


def _render_body(job: _Job, key: str) -> _Rendered:
    res = resources(job.print_dir)
    date = content_date(job.kit, _body_items(job.kit))
    builder = BookletBuilder(job.kit, base_url=job.base_url, print_dir=job.print_dir)
    meta = _meta(
        f"{MALLETTE_NAME} — livret",
        "Fiches de capitalisation, fiches activité, grille de questionnement, structures et glossaire.",
        date,
        "mallette, économie solidaire, fiches, activités, grille, glossaire",
    )
    document = render_html(res, "booklet-body.html", builder.body_context(paper=job.options.paper, meta=meta),
                           "booklet.css")
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for name in page.anchors:
            anchors.setdefault(name, number)
    data = pdf_bytes(document, key, finisher=_finisher(viewer=False, shop_bleed_mm=None))
    return _Rendered("body", data, len(document.pages), [], anchors)


def _render_front(job: _Job, key: str, body_pages: dict[str, int]) -> _Rendered:
    res = resources(job.print_dir)
    date = content_date(job.kit)
    builder = BookletBuilder(job.kit, base_url=job.base_url, print_dir=job.print_dir)
    meta = _meta(
        f"{MALLETTE_NAME} — {job.options.territory}",
        f"Livret de la mallette pédagogique pour le territoire {job.options.territory}.",
        date,
        "mallette, économie solidaire, fiches, activités, grille, glossaire",
    )
    context = builder.front_context(
        territory=job.options.territory,
        paper=job.options.paper,
        edition=job.options.edition,
        decks=job.entries,
        meta=meta,
        date=date,
        body_pages=body_pages,
        link_prefix=DEST_LINK_PREFIX,
    )
    document = render_html(res, "booklet-front.html", context, "booklet.css")
    data = pdf_bytes(document, key, finisher=_finisher(viewer=False, shop_bleed_mm=None))
    return _Rendered("front", data, len(document.pages), [], {})


def _run_part(name: str, key: str, body_pages: dict[str, int] | None = None) -> _Rendered:
    job = _current_job
    assert job is not None, "no build in progress"
    if name == "body":
        return _render_body(job, key)
    if name == "front":
        return _render_front(job, key, body_pages or {})
    data, pages, overflows = _render_deck(job, job.decks[name.split(":", 1)[1]], key)
    return _Rendered(name, data, pages, overflows, {})


# --------------------------------------------------------------------------- the build


def _select_decks(kit: Kit, options: KitOptions, cards_dir: Path, print_dir: Path) -> list[Deck]:
    decks = load_decks(cards_dir, print_dir)
    known = {d.id: d for d in decks}
    unknown = [d for d in options.decks if d not in known]
    if unknown:
        raise PrintError(f"jeu(x) inconnu(s) : {', '.join(unknown)} (jeux : {', '.join(known)})")
    chosen = [d for d in decks if not options.decks or d.id in options.decks]
    problems = [
        f"{d.path}: elements: « {item_id} » n'est pas un élément valide de type {d.item_type}"
        for d in chosen
        for item_id in missing_items(d, kit)
    ]
    if problems:
        raise PrintError("\n".join(problems))
    return [d for d in chosen if deck_items(d, kit)]


def _deck_key(deck: Deck, kit: Kit, options: KitOptions, base_url: str, assets: str) -> str:
    items = deck_items(deck, kit)
    return _sha(
        "deck", assets, deck.fingerprint(), [(i.id, i.checksum) for i in items],
        sorted(kit.glossary.items()), options.paper if options.edition == "home" else "-",
        options.edition, options.back_offset_mm, base_url, content_date(kit, items).isoformat(),
    )


def build_kit(
    kit: Kit,
    options: KitOptions,
    out_dir: Path,
    *,
    base_url: str,
    print_dir: Path,
    cards_dir: Path,
    progress: ProgressFn | None = None,
    cache_dir: Path | None = None,
    workers: int | None = None,
    cache_budget_bytes: int = DEFAULT_BUDGET_BYTES,
) -> KitResult:
    """Build a territory kit into `out_dir`; report progress as (percent, French message).

    Raises `PrintError` (e.g. `CardOverflowError` naming every card whose text overflows) and
    `DeckError` for invalid deck files. `cache_dir` defaults to `<out_dir>/../.print-cache`; once
    it outgrows `cache_budget_bytes`, its least recently used files are dropped.
    """
    global _current_job
    report = progress or (lambda _p, _m: None)
    out_dir, print_dir, cards_dir = Path(out_dir), Path(print_dir), Path(cards_dir)
    cache = Path(cache_dir) if cache_dir is not None else out_dir.resolve().parent / ".print-cache"
    report(0, "Préparation de la mallette")
    decks = _select_decks(kit, options, cards_dir, print_dir)
    assets = assets_hash(print_dir)
    slug = slugify(options.territory)

    entries = []
    deck_keys: dict[str, str] = {}
    for deck in decks:
        count = len(deck_items(deck, kit))
        pages = (
            shop_page_count(count) if options.edition == "shop"
            else home_page_count(count, deck.size, options.paper)
        )
        entries.append(DeckEntry(deck, count, pages, f"{slug}-jeu-{deck.id}.pdf"))
        deck_keys[deck.id] = _deck_key(deck, kit, options, base_url, assets)
    body_key = _sha(
        "body", assets, [(i.id, i.checksum) for i in _body_items(kit)], sorted(kit.glossary.items()),
        options.paper, base_url, content_date(kit, _body_items(kit)).isoformat(),
    )
    front_key = _sha(
        "front", assets, body_key, kit.content_hash, options.as_dict(), base_url,
        [(e.deck.fingerprint(), e.cards, e.pages, e.file) for e in entries],
        content_date(kit).isoformat(),
    )
    parts = [_Part("body", body_key, 10_000), _Part("front", front_key, 0)] + [
        _Part(f"deck:{e.deck.id}", deck_keys[e.deck.id], e.cards) for e in entries
    ]
    whole_key = _sha("whole", [p.key for p in parts], options.as_dict())

    # Fast path: the whole kit was built with these exact inputs.
    manifest_path = cache / "kits" / f"{whole_key}.json"
    if manifest_path.is_file():
        result = _restore(manifest_path, cache, out_dir)
        if result is not None:
            report(100, "Mallette prête (déjà à jour)")
            return result

    rendered: dict[str, _Rendered] = {}
    pending: list[_Part] = []
    for part in parts:
        hit = _cache_get(cache, part)
        if hit is not None:
            rendered[part.name] = hit
        else:
            pending.append(part)
    done = len(rendered)
    total = len(parts)
    report(5, f"{done} partie(s) déjà prête(s), {len(pending)} à composer")

    job = _Job(kit, options, {d.id: d for d in decks}, entries, base_url, print_dir)
    overflows: list[tuple[str, str, float]] = []
    keys = {p.name: p.key for p in parts}
    with _build_lock:
        _current_job = job
        try:
            body = rendered.get("body")
            for fresh in _run_parts(pending, print_dir, workers, body.anchors if body else None):
                done += 1
                if fresh.overflows:
                    overflows.extend(fresh.overflows)
                else:
                    rendered[fresh.name] = fresh
                    _cache_put(cache, keys[fresh.name], fresh)
                report(5 + int(80 * done / total), _part_label(fresh.name, job) + " composé")
        finally:
            _current_job = None
    if overflows:
        raise CardOverflowError(sorted(overflows), {i.id: i.path for i in kit})

    report(88, "Assemblage du PDF complet")
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    date = content_date(kit)
    booklet_parts = [
        MergePart(rendered["front"].data, label_style="r"),
        MergePart(rendered["body"].data),
    ]
    booklet_path = out_dir / f"{slug}-livret.pdf"
    merge_pdfs(booklet_parts, booklet_path, _merge_info(options, date, booklet=True))
    files.append(booklet_path)
    deck_parts = []
    for entry in entries:
        path = out_dir / entry.file
        data = rendered[f"deck:{entry.deck.id}"].data
        atomic_write(path, data)
        files.append(path)
        deck_parts.append(MergePart(data, f"{entry.deck.title} ({entry.cards} cartes)",
                                    label_prefix=f"{entry.deck.title} – "))
    whole_path = out_dir / f"{slug}-mallette-complete.pdf"
    pages = merge_pdfs(booklet_parts + deck_parts, whole_path, _merge_info(options, date, booklet=False))
    files.insert(0, whole_path)
    report(95, "Création de l'archive ZIP")
    zip_path = out_dir / f"{slug}-mallette.zip"
    _zip(zip_path, files, date)
    files.append(zip_path)
    used = _save_manifest(manifest_path, cache, files, whole_path, zip_path, pages)
    used += [cache / "parts" / f"{p.key}.{ext}" for p in parts for ext in ("pdf", "json")]
    prune(cache, cache_budget_bytes, keep=used)
    report(100, "Mallette prête")
    return KitResult(files=files, zip_path=zip_path, whole_pdf=whole_path, pages=pages)


def _part_label(name: str, job: _Job) -> str:
    if name == "body":
        return "Livret : fiches, activités, grille, structures et glossaire"
    if name == "front":
        return "Livret : couverture, colophon et sommaire"
    deck = job.decks[name.split(":", 1)[1]]
    return f"Jeu « {deck.title} »"


def _run_parts(
    pending: list[_Part], print_dir: Path, workers: int | None, body_pages: dict[str, int] | None
) -> Iterable[_Rendered]:
    """Render the pending parts, the largest first; the front waits for the body's page numbers
    (`body_pages` when the body came from the cache)."""
    if not pending:
        return
    front = next((p for p in pending if p.name == "front"), None)
    ordered = sorted((p for p in pending if p is not front), key=lambda p: -p.weight)
    count = workers if workers is not None else min(os.cpu_count() or 1, len(pending))
    count = max(1, min(count, len(pending)))
    # Load fonts and stylesheets before forking: workers inherit them.
    resources(print_dir)
    if count == 1 or "fork" not in multiprocessing.get_all_start_methods():
        for part in ordered:
            result = _run_part(part.name, part.key)
            if result.name == "body":
                body_pages = result.anchors
            yield result
        if front is not None:
            yield _run_part(front.name, front.key, body_pages)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=fresh_locks_after_fork
    ) as pool:
        # At most one part per worker is handed over, so that the front, ready once the body is
        # done, goes to the next free worker instead of the end of the queue.
        queue: list[tuple[_Part, dict[str, int] | None]] = [(p, None) for p in ordered]
        if front is not None and body_pages is not None:
            queue.insert(0, (front, body_pages))
            front = None
        running: set[Future[_Rendered]] = set()
        while queue or running:
            while queue and len(running) < count:
                part, pages = queue.pop(0)
                running.add(pool.submit(_run_part, part.name, part.key, pages))
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                result = future.result()
                if result.name == "body" and front is not None:
                    queue.insert(0, (front, result.anchors))
                    front = None
                yield result


# --------------------------------------------------------------------------- cache


def _cache_get(cache: Path, part: _Part) -> _Rendered | None:
    pdf, meta = cache / "parts" / f"{part.key}.pdf", cache / "parts" / f"{part.key}.json"
    try:
        info = json.loads(meta.read_text())
        anchors = {str(k): int(v) for k, v in info.get("anchors", {}).items()}
        found = _Rendered(part.name, pdf.read_bytes(), int(info["pages"]), [], anchors)
        mark_used(pdf, meta)
        return found
    except (OSError, ValueError, KeyError, AttributeError):
        return None


def _cache_put(cache: Path, key: str, part: _Rendered) -> None:
    atomic_write(cache / "parts" / f"{key}.pdf", part.data)
    meta = {"pages": part.pages, "anchors": part.anchors}
    atomic_write(cache / "parts" / f"{key}.json", json.dumps(meta, sort_keys=True).encode())


def _save_manifest(
    manifest: Path, cache: Path, files: list[Path], whole: Path, zip_path: Path, pages: int
) -> list[Path]:
    """Store the kit's files by content hash and its manifest; return the cache files it uses."""
    store = cache / "files"
    entries = []
    used = [manifest]
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        target = store / digest
        if target.exists():
            mark_used(target)
        else:
            atomic_write(target, path.read_bytes())
        entries.append({"name": path.name, "sha256": digest})
        used.append(target)
    data = {"files": entries, "whole": whole.name, "zip": zip_path.name, "pages": pages}
    atomic_write(manifest, json.dumps(data, indent=1).encode())
    return used


def _restore(manifest: Path, cache: Path, out_dir: Path) -> KitResult | None:
    try:
        data = json.loads(manifest.read_text())
        out_dir.mkdir(parents=True, exist_ok=True)
        files = []
        for entry in data["files"]:
            source = cache / "files" / entry["sha256"]
            target = out_dir / entry["name"]
            if not source.is_file():
                return None
            mark_used(source)
            if not (target.is_file() and target.stat().st_size == source.stat().st_size
                    and _same_file(source, target)):
                atomic_write(target, source.read_bytes())
            files.append(target)
        mark_used(manifest)
        return KitResult(files=files, zip_path=out_dir / data["zip"], whole_pdf=out_dir / data["whole"],
                         pages=int(data["pages"]))
    except (OSError, ValueError, KeyError):
        return None


def _same_file(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


# --------------------------------------------------------------------------- whole PDF, ZIP


def _merge_info(options: KitOptions, date: datetime, *, booklet: bool) -> MergeInfo:
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


ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _zip(path: Path, files: list[Path], date: datetime) -> None:
    stamp = max(ZIP_DATE, (date.year, date.month, date.day, date.hour, date.minute, date.second))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(files, key=lambda p: p.name):
            info = zipfile.ZipInfo(file.name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, file.read_bytes())
    atomic_write(path, buffer.getvalue())


def render_deck_pdf(
    kit: Kit,
    deck_id: str,
    options: KitOptions,
    *,
    base_url: str,
    print_dir: Path,
    cards_dir: Path,
) -> tuple[bytes, int]:
    """Render one deck in this process, as `build_kit` would: (PDF bytes, page count).

    Raises `CardOverflowError` naming every card whose text overflows.
    """
    print_dir, cards_dir = Path(print_dir), Path(cards_dir)
    decks = _select_decks(kit, KitOptions(options.territory, decks=(deck_id,)), cards_dir, print_dir)
    if not decks:
        raise PrintError(f"le jeu « {deck_id} » n'a aucune carte")
    deck = decks[0]
    key = _deck_key(deck, kit, options, base_url, assets_hash(print_dir))
    job = _Job(kit, options, {deck.id: deck}, [], base_url, print_dir)
    data, pages, overflows = _render_deck(job, deck, key)
    if overflows:
        raise CardOverflowError(overflows, {i.id: i.path for i in kit})
    return data, pages


# --------------------------------------------------------------------------- one card


_single_cache: dict[str, bytes] = {}


def _ad_hoc_deck(item: KitItem) -> Deck:
    colour, icon = TYPE_STYLES[item.type.value]
    size = {"posture": "a6", "activite": "a6", "structure": "poker"}.get(item.type.value, "tarot")
    return Deck(
        id=f"carte-{item.type.value}", title=item.type.plural, item_type=item.type.value, size=size,
        colour=colour, icon=icon, front=item.type.value, back="standard", items=(item.id,), order=0,
        description="", path="",
    )


def render_card_pdf(
    kit: Kit,
    item_id: str,
    *,
    base_url: str,
    print_dir: Path,
    cards_dir: Path,
    paper: str = "a4",
) -> bytes:
    """'Print this card': the item's card, front and back, on one sheet (or recto/verso pages).

    Raises KeyError for an unknown item or one that is not a card type, `CardOverflowError` when
    its text overflows the card.
    """
    if paper not in PAPERS:
        raise ValueError(f"papier « {paper} » inconnu")
    item, _alias = kit.resolve(item_id)
    if item is None:
        raise KeyError(item_id)
    print_dir, cards_dir = Path(print_dir), Path(cards_dir)
    decks = load_decks(cards_dir, print_dir)
    found = decks_for_item(decks, kit, item.id)
    if found:
        deck = found[0]
    elif item.type in {ItemType(t) for t in ("posture", "activite", "initiative", "notion",
                                                  "dimension", "structure")}:
        deck = _ad_hoc_deck(item)
    else:
        raise KeyError(item_id)
    key = _sha("single", assets_hash(print_dir), deck.fingerprint(), item.id, item.checksum,
               len(deck_items(deck, kit)), sorted(kit.glossary.items()), base_url, paper)
    cached = _single_cache.get(key)
    if cached is not None:
        return cached
    views = [v for v in card_views(deck, kit, base_url=base_url, print_dir=print_dir) if v.item.id == item.id]
    card = views[0]
    meta = _meta(
        f"{item.title} — {deck.title}",
        f"Carte « {item.title} » de la {MALLETTE_NAME}.",
        content_date(kit, [item]),
        f"mallette, carte, {item.id}",
    )
    res = resources(print_dir)
    document = render_html(res, "card-single.html", single_context(card, paper=paper, meta=meta), "cards.css")
    overflows = find_overflows(document)
    if overflows:
        raise CardOverflowError(overflows, {item.id: item.path})
    data = pdf_bytes(document, key, finisher=_finisher(viewer=True, shop_bleed_mm=None))
    if len(_single_cache) > 256:
        _single_cache.clear()
    _single_cache[key] = data
    return data
