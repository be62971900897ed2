"""Benchmark of kit builds through the job worker: from submit to files ready (prints figures).

    .venv/bin/python bench/print_worker.py [--processes N]

Starts `mallette worker` (`app.jobs.run_worker`, in a process of its own, on a temporary SQLite
database and build folder), asks for the home A4 kit and waits for it (cold: empty print cache),
then for kits on another paper (Letter, home) and another edition (print shop, A4), as the download
page does. Prints, for each: seconds from the request to the build row being done, the CPU seconds
the worker's process group used, how many processes rendered, the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _cpu_seconds(group: int) -> float:
    """User + system CPU of the processes of a process group, with their waited-for children's
    (/proc, Linux): the worker, its job processes or threads, their render processes."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == group:  # pgrp
            ticks += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _worker_main(config: dict[str, Any]) -> None:
    from app import create_app
    from app.jobs import run_worker

    os.setsid()
    run_worker(create_app(config))


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=None, help="render processes (default: every core)")
    args = parser.parse_args()

    from app import create_app, get_state
    from app.printing.options import KitOptions
    from app.web.builds import BuildService
    from app.web.printing_api import PrintingPipeline

    class Recording(PrintingPipeline):
        def build_kit(self, kit: Any, options: KitOptions, out_dir: Path, **kwargs: Any) -> Any:
            result = super().build_kit(kit, options, out_dir, **kwargs)
            (work / "renders.json").write_text(json.dumps({"processes": getattr(result, "render_processes", "?"),
                                                          "pages": result.pages}))
            return result

    work = Path(tempfile.mkdtemp(prefix="mallette-bench-worker-"))
    config: dict[str, Any] = {
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "BUILD_DIR": str(work / "builds"),
        "PREBUILD_DEFAULT_KIT": False,
        "SECRET_KEY": "bench",
        "PRINT_PIPELINE": Recording(),
        "JOB_RENDER_PROCESSES": args.processes,
    }
    app = create_app(config)
    service: BuildService = app.extensions["mallette_builds"]
    kit = get_state(app).kit
    worker = multiprocessing.get_context("fork").Process(target=_worker_main, args=(config,))
    worker.start()
    assert worker.pid is not None
    try:
        time.sleep(3)  # the worker starts (imports, loads the kit) before the first request
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
        for label, options in (
            ("cold: home, A4", KitOptions("Couserans")),
            ("another paper: home, Letter", KitOptions("Couserans", paper="letter")),
            ("another edition: shop, A4", KitOptions("Couserans", edition="shop")),
            ("another territory: home, A4", KitOptions("Pays de Foix")),
        ):
            cpu = _cpu_seconds(worker.pid)
            began = time.perf_counter()
            view = service.request(kit, options)
            while True:
                found = service.get(view.key)
                if found is not None and (found.done or found.failed):
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - began
            time.sleep(0.2)  # the render processes are waited for once the build returns
            used = _cpu_seconds(worker.pid) - cpu
            renders = json.loads((work / "renders.json").read_text())
            state = "done" if found.done else "FAILED"
            print(f"{label:<30} {elapsed:6.2f} s submit -> files ready ({state}, {renders['pages']} pages, "
                  f"{used:.1f} s CPU, {renders['processes']} render processes, "
                  f"load {os.getloadavg()[0]:.2f})")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.join(30)
        get_state(app).engine.dispose()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
