"""Render a build's pending parts across cores: forked workers, the largest part first.

The job is handed to each worker by the pool's initializer (forked workers inherit it without
pickling, along with the loaded fonts and stylesheets); the front waits for the body's page numbers
(every chunk of the body rendered).
Builds fork from the command line, `mallette prebuild-kit` and the job worker's threads
(`app.jobs.JobConsumer`); only a daemonic process, which may not have children, renders in-process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from .parts import Job, Part, Rendered, body_pages, run_part
from .render import fresh_locks_after_fork, resources

#: The build a forked render worker serves (set by `_start_worker` in that worker only).
_worker_job: Job | None = None


def _start_worker(job: Job) -> None:
    """Initializer of forked render workers: fresh locks, the job to render parts of, and every
    object inherited from the parent (modules, fonts, stylesheets, the kit) kept out of the cyclic
    garbage collector's passes: scanning them again at each full collection cost about a quarter
    of a part's rendering time (and would copy the shared pages into the worker)."""
    global _worker_job
    fresh_locks_after_fork()
    _worker_job = job
    gc.freeze()


def _render_in_worker(name: str, key: str, body_pages: dict[str, int] | None) -> Rendered:
    assert _worker_job is not None, "render worker started without its job"
    return run_part(_worker_job, name, key, body_pages)


def can_fork() -> bool:
    """Whether this process may fork render workers (a daemonic process may not have children)."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def render_processes(workers: int | None, pending: int) -> int:
    """How many processes render `pending` parts: `workers` (every core when None), at most one per
    part; 1 means in this process (also where it may not fork); 0 when nothing is pending."""
    if pending == 0:
        return 0
    count = workers if workers is not None else os.cpu_count() or 1
    count = max(1, min(count, pending))
    return count if can_fork() else 1


def run_parts(
    job: Job, pending: list[Part], workers: int | None, body: dict[str, Rendered] | None = None,
    body_names: list[str] | None = None,
) -> Iterable[Rendered]:
    """Render the pending parts, the largest first, in `render_processes(workers, len(pending))`
    processes; the front waits for the body's page numbers: the chunks `body_names`, those in `body`
    (from the cache) and those rendered here."""
    if not pending:
        return
    chunks = dict(body or {})
    names = list(body_names or [])

    def front_pages() -> dict[str, int] | None:
        """The body's page numbers once every chunk is in."""
        if all(name in chunks for name in names):
            return body_pages([chunks[name] for name in names])
        return None

    front = next((p for p in pending if p.name == "front"), None)
    ordered = sorted((p for p in pending if p is not front), key=lambda p: -p.weight)
    count = render_processes(workers, len(pending))
    # Load fonts and stylesheets before forking: workers inherit them (and leave them to refcounting).
    resources(job.print_dir)
    gc.collect()
    if count == 1:
        for part in ordered:
            result = run_part(job, part.name, part.key)
            if result.name in names:
                chunks[result.name] = result
            yield result
        if front is not None:
            yield run_part(job, front.name, front.key, front_pages())
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=_start_worker, initargs=(job,)
    ) as pool:
        # At most one part per worker is handed over, so that the front, ready once the body is
        # done, goes to the next free worker instead of the end of the queue.
        queue: list[tuple[Part, dict[str, int] | None]] = [(p, None) for p in ordered]
        pages = front_pages()
        if front is not None and pages is not None:
            queue.insert(0, (front, pages))
            front = None
        running: set[Future[Rendered]] = set()
        while queue or running:
            while queue and len(running) < count:
                part, known = queue.pop(0)
                running.add(pool.submit(_render_in_worker, part.name, part.key, known))
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                result = future.result()
                if result.name in names:
                    chunks[result.name] = result
                    pages = front_pages()
                    if front is not None and pages is not None:
                        queue.insert(0, (front, pages))
                        front = None
                yield result
