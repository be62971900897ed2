"""Settings gunicorn reads with `-c python:app.gunicorn_conf` (`mallette serve`, the deploy files, bench/).

`post_worker_init` freezes what the worker has loaded (the kit, the templates, the libraries: some
200,000 objects) out of the garbage collector's reach. Without it, every full collection walks
them all, which on the machines Mallette runs on pauses the worker's requests for 0.1–0.4 s.
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """After the app is loaded in a worker: move everything allocated so far to the permanent generation."""
    gc.collect()
    gc.freeze()
