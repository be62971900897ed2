"""Print pipelines for job-worker tests: stand-ins whose builds take about two seconds, in steps,
and the real one recording how many processes rendered."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from app.printing.options import KitOptions, KitResult, Step
from app.web.printing_api import PrintingPipeline

STEPS = 10
STEP_SECONDS = 0.2


class SlowPipeline(PrintingPipeline):
    """The real decks, and a kit build that reports progress ten times, 0.2 s apart."""

    step_seconds = STEP_SECONDS

    def build_kit(self, kit: Any, options: KitOptions, out_dir: Path, **kwargs: Any) -> KitResult:
        """Write a small PDF and a ZIP after ten progress steps."""
        progress = kwargs["progress"]
        for step in range(STEPS):
            time.sleep(self.step_seconds)
            progress(5 + step * 9, Step.PART_DONE, {"part": "deck", "deck": f"Jeu {step + 1}"})
        out_dir.mkdir(parents=True, exist_ok=True)
        pdf, archive = out_dir / "mallette.pdf", out_dir / "mallette.zip"
        pdf.write_bytes(b"%PDF-1.7 " + options.territory.encode())
        archive.write_bytes(b"PK")
        return KitResult(files=[pdf], zip_path=archive, whole_pdf=pdf, pages=1)


class QuickPipeline(SlowPipeline):
    """The same steps, 0.05 s apart (builds that queue behind one another)."""

    step_seconds = 0.05


class RecordingPipeline(PrintingPipeline):
    """The real pipeline, writing to `record` how many processes rendered each build (JSON)."""

    def __init__(self, record: Path) -> None:
        self.record = record

    def build_kit(self, kit: Any, options: KitOptions, out_dir: Path, **kwargs: Any) -> KitResult:
        """Build for real, then record the build's render processes and the worker's process id."""
        result = super().build_kit(kit, options, out_dir, **kwargs)
        data = {"render_processes": result.render_processes, "worker_pid": os.getpid(), "pages": result.pages}
        self.record.write_text(json.dumps(data))
        return result
