"""Browse the kit: home page listing the loaded items by type."""

from __future__ import annotations

from flask import Blueprint, render_template

from .. import get_state
from ..kit.schema import FOLDERS

bp = Blueprint("kit", __name__)


@bp.get("/")
def home() -> str:
    """Home page: what the mallette is and every loaded item, grouped by type."""
    kit = get_state().kit
    groups = [(item_type, kit.by_type(item_type)) for item_type in FOLDERS.values()]
    return render_template("home.html", kit=kit, groups=[g for g in groups if g[1]])
