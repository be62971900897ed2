"""The web templates are compiled once per test process, not once per app.

Each app gets a fresh Jinja environment that compiles every template it renders (about a tenth of
a second per app for the pages a test visits). `install()` gives every Flask app of the test process
one in-memory bytecode cache: Jinja keys it by template file and checks the template's source, so
an edited template is compiled again. All the test apps configure Jinja alike (same extensions and
autoescaping, from `create_app`), which a shared bytecode cache requires.
"""

from __future__ import annotations

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept in this process's memory."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


def install() -> None:
    """Give the Flask apps made from now on the shared cache."""
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": MemoryBytecodeCache()}
