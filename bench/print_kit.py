"""Benchmark of the print pipeline on the full kit (prints figures; not a timed test).

    .venv/bin/python bench/print_kit.py [--content kit_content] [--paper a4] [--edition home]

Prints: pages, cold build time, no-change rebuild time, rebuild time after editing one card, the
kits of another territory, another paper and another edition (each once the cold kit is cached,
with every core as the job worker builds them; `bench/print_worker.py` times them through the
worker itself), peak memory, and one deck built
the naive way (one WeasyPrint document per card side, merged with pypdf) against the pipeline's way
(the deck's sides as one document, imposed), with the ratio between the two.

The content is copied to a temporary folder first (the edit step changes a card there).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE_URL = "http://localhost:5000"


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=ROOT / "kit_content")
    parser.add_argument("--paper", default="a4", choices=["a4", "letter"])
    parser.add_argument("--edition", default="home", choices=["home", "shop"])
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--naive-deck", default="postures")
    args = parser.parse_args()

    started = time.perf_counter()
    from pypdf import PdfReader, PdfWriter

    from app.kit import load_kit
    from app.printing.cards import card_views, faces_context
    from app.printing.decks import load_decks
    from app.printing.kit_builder import KitOptions, build_kit, render_deck_pdf
    from app.printing.render import pdf_bytes, render_html, resources

    imported = time.perf_counter() - started
    print_dir, cards_dir = ROOT / "print", ROOT / "cards"
    work = Path(tempfile.mkdtemp(prefix="mallette-bench-"))
    try:
        content = work / "kit"
        shutil.copytree(args.content, content)
        started = time.perf_counter()
        loaded_kit = load_kit(content)
        if loaded_kit.errors:
            raise SystemExit("\n".join(str(e) for e in loaded_kit.errors))
        kit = loaded_kit.kit
        loaded = time.perf_counter() - started
        counts = {t: len(kit.by_type(t)) for t in ("fiche", "posture", "activite", "dimension",
                                                    "structure", "initiative", "notion", "page")}
        options = KitOptions(territory="Couserans", paper=args.paper, edition=args.edition)

        def build(label: str, chosen: KitOptions = options, workers: int | None = args.workers) -> float:
            began, cpu = time.perf_counter(), os.times()
            result = build_kit(kit, chosen, work / "dist", base_url=BASE_URL, print_dir=print_dir,
                               cards_dir=cards_dir, cache_dir=work / "cache", workers=workers)
            elapsed = time.perf_counter() - began
            after = os.times()
            used = sum(after[:4]) - sum(cpu[:4])  # user + system, this process and its workers
            print(f"{label:<34} {elapsed:7.2f} s   ({result.pages} pages, {used:.1f} s CPU, "
                  f"{result.render_processes} render processes, load {os.getloadavg()[0]:.2f})")
            return elapsed

        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
        print(f"content: {len(kit)} items {counts}")
        print(f"{'import (weasyprint, pikepdf...)':<34} {imported:7.2f} s")
        print(f"{'load_kit':<34} {loaded:7.2f} s")
        resources(print_dir)
        build(f"cold build ({args.edition}, {args.paper})")
        build("no-change rebuild")
        posture = kit.by_type("posture")[0]
        path = content / posture.path
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("## À éviter", "## À éviter\n", 1).replace(
            "## Ce que c'est\n", "## Ce que c'est\n\n", 1), encoding="utf-8")
        kit = load_kit(content).kit
        build("rebuild after editing one card")
        # What the job worker does once the default kit exists (every core, as `mallette worker`).
        other = KitOptions(territory="Pays de Foix", paper=args.paper, edition=args.edition)
        build("another territory", other)
        paper = "letter" if args.paper == "a4" else "a4"
        build(f"another paper ({args.edition}, {paper})", KitOptions("Pays de Foix", paper=paper, edition=args.edition))
        edition = "shop" if args.edition == "home" else "home"
        build(f"another edition ({edition}, {args.paper})",
              KitOptions("Pays de Foix", paper=args.paper, edition=edition))
        self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{'peak memory (main / one worker)':<34} {self_rss:7.0f} MiB / {child_rss:.0f} MiB")

        # The same deck, print-shop pages: one document for the deck vs one document per card.
        deck = next(d for d in load_decks(cards_dir, print_dir) if d.id == args.naive_deck)
        shop = KitOptions(territory="Couserans", edition="shop")
        began = time.perf_counter()
        data, pages = render_deck_pdf(kit, deck.id, shop, base_url=BASE_URL, print_dir=print_dir,
                                      cards_dir=cards_dir)
        one_document = time.perf_counter() - began
        res = resources(print_dir)
        began = time.perf_counter()
        views = card_views(deck, kit, base_url=BASE_URL, print_dir=print_dir)
        writer = PdfWriter()
        meta = {"title": "t", "author": "a", "description": "d", "keywords": "k", "generator": "g",
                "date": "2026-01-01T00:00:00+00:00"}
        for view in views:
            document = render_html(res, "deck-faces.html", faces_context(deck, [view], meta=meta), "cards.css")
            writer.append(PdfReader(io.BytesIO(pdf_bytes(document, view.item.id))))
        merged = io.BytesIO()
        writer.write(merged)
        naive = time.perf_counter() - began
        # Fully naive: every card parses the stylesheets and loads the fonts again.
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration

        began = time.perf_counter()
        writer = PdfWriter()
        for view in views:
            fonts = FontConfiguration()
            sheets = [CSS(filename=str(print_dir / "css" / name), font_config=fonts)
                      for name in ("fonts.css", "cards.css")]
            html = res.env.get_template("deck-faces.html").render(**faces_context(deck, [view], meta=meta))
            document = HTML(string=html, base_url=res.base_url, url_fetcher=res.fetcher).render(
                stylesheets=sheets, font_config=fonts)
            writer.append(PdfReader(io.BytesIO(pdf_bytes(document, view.item.id))))
        merged = io.BytesIO()
        writer.write(merged)
        fresh = time.perf_counter() - began
        print(f"deck « {deck.id} », {len(views)} cards, {pages} shop pages:")
        print(f"{'  one document (pipeline)':<34} {one_document:7.2f} s")
        print(f"{'  per card, shared CSS/fonts':<34} {naive:7.2f} s   ratio {naive / one_document:.2f} x")
        print(f"{'  per card, CSS/fonts each time':<34} {fresh:7.2f} s   ratio {fresh / one_document:.2f} x")
        del data
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
