"""Card sides placed on sheets: each side is rendered once (deck-faces.html) and imposed here (qpdf).

A deck's fronts and its one back are a WeasyPrint document of their own, a page each with its
bleed; they do not depend on the paper or the edition, so one rendering serves the home sheets of
every paper and the print-shop pages. The sheets (deck-sheets.html: marks, head and foot lines;
deck-shop-sheets.html: crop marks) are another document, and each card side is drawn onto its sheet:

- a front is copied into the sheet's content, moved (and turned) onto its cell, clipped to its trim
  on a home sheet, to its bleed on a print-shop page. Its tags come with it: its structure elements
  go into the sheet's section, its marked-content identifiers are numbered on after the sheet's own,
  its links and their rectangles follow it, and its bookmarks point to the sheet;
- the back, the same for every card of the deck, is one form XObject drawn at each place, as an
  artifact (a screen reader does not read the same back at every card).

The fronts' resources (fonts, images, patterns) are shared by every sheet under names of their own.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf

from .merge import _rename_font_subsets, _tree_pairs

MM = 72 / 25.4
#: Marked-content operators, dropped from the back (drawn as one artifact).
_MARKED = frozenset({"BDC", "BMC", "EMC", "MP", "DP"})
#: Operators whose operand names a resource, and its category.
_RESOURCE_OPERANDS = {"Tf": "/Font", "Do": "/XObject", "gs": "/ExtGState", "sh": "/Shading"}
_CATEGORIES = ("/Font", "/XObject", "/ExtGState", "/Shading", "/Pattern", "/ColorSpace", "/Properties")
#: Prefix of the fronts' resource names on a sheet (the sheet's own never start with it).
_PREFIX = "Face"
_BACK = Name("/FaceBack")

Matrix = tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class Place:
    """A card side on a sheet: its face (page of the faces PDF), its cell's top-left corner (mm,
    from the sheet's top-left) and its turn (0, 90 or -90 degrees, clockwise as in CSS)."""

    face: int
    x: float
    y: float
    rotation: int = 0


@dataclass
class SheetPlan:
    """One page of the imposed PDF: a page of the sheets PDF (a page used again is copied), the
    fronts and backs placed on it, and whether the cards go under the sheet's own content (a home
    front sheet: its marks are drawn over the cards) or over it."""

    frame: int
    fronts: list[Place] = field(default_factory=list)
    backs: list[Place] = field(default_factory=list)
    cards_under: bool = False


@dataclass(frozen=True)
class Layout:
    """How sides are drawn: card size (mm), and what is kept of each side: "trim" (home sheets) or
    "bleed" (print-shop pages, `bleed` mm around the trim)."""

    width: float
    height: float
    keep: str = "trim"
    bleed: float = 0.0


def impose(frames: bytes, faces: bytes, plans: Sequence[SheetPlan], layout: Layout, back: int | None) -> bytes:
    """The sheets PDF with the card sides of `faces` placed as `plans` say (`back`: the page of the
    deck's back); tagged, deterministic."""
    out = Pdf.open(io.BytesIO(frames))
    source = Pdf.open(io.BytesIO(faces))
    frame_count = len(out.pages)
    out.pages.extend(source.pages)  # for now: references to them are mapped when copied
    face_pages = list(out.pages)[frame_count:]
    faces_tree = out.copy_foreign(source.Root.StructTreeRoot)
    face_nums = {int(key): value for key, value in _tree_pairs(faces_tree.get("/ParentTree"), "/Nums")}
    face_sections = _kids(_kids(faces_tree)[0])
    tree = out.Root.StructTreeRoot
    document = _kids(tree)[0]
    assert isinstance(document, Dictionary)
    assert len(face_sections) == len(face_pages), "impose: one section per card side expected"
    nums = {int(key): value for key, value in _tree_pairs(tree.get("/ParentTree"), "/Nums")}
    next_key = max([int(tree.get("/ParentTreeNextKey", 0)), *[k + 1 for k in nums]])
    renames = _renames(face_pages[0])
    face_resources = face_pages[0].obj.Resources
    assert isinstance(face_resources, Dictionary)
    back_form = _back_form(out, face_pages[back]) if back is not None else None
    frame_pages = list(out.pages)[:frame_count]
    # What each sheet draws and uses of its own, before card sides are added to it.
    frame_contents = [_contents(page) for page in frame_pages]
    frame_resources = [page.obj.get("/Resources") for page in frame_pages]
    used: set[int] = set()
    bookmarks: list[tuple[int, Matrix, int]] = []  # (face, its matrix, output page index)
    pages: list[pikepdf.Page] = []

    for plan in plans:
        template = frame_pages[plan.frame]
        if plan.frame in used:
            page = _copy_page(out, template, frame_contents[plan.frame])
        else:
            page = template
            used.add(plan.frame)
        pages.append(page)
        sheet = (float(page.mediabox[0]), float(page.mediabox[3]))  # top-left corner of its media
        section = _section_of(document, page) if page is template else None
        own = nums.get(int(page.obj.StructParents)) if "/StructParents" in page.obj else None
        mcids = Array(list(own) if own is not None else [])
        annots = Array(list(page.obj.get("/Annots") or []))
        front_parts, back_parts = [], []
        patterns = Dictionary()
        for slot, place in enumerate(plan.fronts):
            face = face_pages[place.face]
            matrix = _matrix(face, place, sheet, layout)
            clip = _clip(place, sheet, layout)
            offset = len(mcids)
            content, used_patterns = _front_content(face, renames, offset, slot)
            front_parts.append(b"q\n" + clip + _cm(matrix) + content + b"\nQ\n")
            for original, name in used_patterns.items():
                patterns[name] = moved_pattern(out, face_resources.Pattern[original], matrix)
            face_key = int(face.obj.StructParents)
            for element in _kids(face_nums[face_key]) if face_key in face_nums else []:
                mcids.append(element)
            if section is None:
                section = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Sect, P=document, K=Array()))
                document.K.append(section)
            for kid in _kids(face_sections[place.face]):
                _move(kid, section, page, offset, matrix)
                _insert_before_text(section, kid)
            for annot in face.obj.get("/Annots") or []:
                old = int(annot.StructParent)
                annot.Rect = _box(matrix, [float(v) for v in annot.Rect])
                if "/QuadPoints" in annot:
                    del annot["/QuadPoints"]
                annot.StructParent = next_key
                nums[next_key] = face_nums[old]
                next_key += 1
                annots.append(annot)
            bookmarks.append((place.face, matrix, len(pages) - 1))
        for place in plan.backs:
            assert back_form is not None, "impose: backs placed, but no back face"
            matrix = _matrix(face_pages[place.face], place, sheet, layout)
            back_parts.append(b"/Artifact BMC\nq\n" + _clip(place, sheet, layout) + _cm(matrix)
                              + _BACK.unparse() + b" Do\nQ\nEMC\n")
        frame = b"q\n" + frame_contents[plan.frame] + b"\nQ\n"
        cards = b"".join(front_parts + back_parts)
        data = cards + frame if plan.cards_under else frame + cards
        page.obj.Contents = out.make_stream(data)
        page.obj.Resources = _page_resources(frame_resources[plan.frame], face_resources, renames, patterns,
                                             back_form if plan.backs else None)
        if len(mcids):
            if "/StructParents" not in page.obj:
                page.obj.StructParents = next_key
                next_key += 1
            nums[int(page.obj.StructParents)] = mcids
        if len(annots):
            page.obj.Annots = annots
            page.obj.Tabs = Name.S

    del out.pages[frame_count:frame_count + len(face_pages)]
    flat = Array()
    for key in sorted(nums):
        flat.append(key)
        flat.append(nums[key])
    tree.ParentTree = out.make_indirect(Dictionary(Nums=flat))
    tree.ParentTreeNextKey = next_key
    _bookmarks(out, source, bookmarks)
    _rename_font_subsets(out)
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


# --------------------------------------------------------------------------- geometry


def _matrix(face: pikepdf.Page, place: Place, sheet: tuple[float, float], layout: Layout) -> Matrix:
    """The matrix from the face page's space to the sheet's (`sheet`: its media's top-left corner):
    the side's trim box onto its cell, turned."""
    trim = [float(v) for v in face.obj.get("/TrimBox", face.mediabox)]
    left, top = trim[0], trim[3]
    w, h = layout.width, layout.height

    def to_sheet(px: float, py: float) -> tuple[float, float]:
        u, v = (px - left) / MM, (top - py) / MM  # mm from the card's top-left, downwards
        if place.rotation == 90:
            x, y = place.x + h - v, place.y + u
        elif place.rotation == -90:
            x, y = place.x + v, place.y + w - u
        else:
            x, y = place.x + u, place.y + v
        return sheet[0] + x * MM, sheet[1] - y * MM

    e, f = to_sheet(0, 0)
    ax, ay = to_sheet(1, 0)
    cx, cy = to_sheet(0, 1)
    return (ax - e, ay - f, cx - e, cy - f, e, f)


def _clip(place: Place, sheet: tuple[float, float], layout: Layout) -> bytes:
    """A clip to the side's trim (or its bleed) on the sheet."""
    w, h = (layout.height, layout.width) if place.rotation else (layout.width, layout.height)
    margin = layout.bleed if layout.keep == "bleed" else 0.0
    x0, y0 = sheet[0] + (place.x - margin) * MM, sheet[1] - (place.y + h + margin) * MM
    return f"{_n(x0)} {_n(y0)} {_n((w + 2 * margin) * MM)} {_n((h + 2 * margin) * MM)} re W n\n".encode()


def _cm(matrix: Matrix) -> bytes:
    return (" ".join(_n(v) for v in matrix) + " cm\n").encode()


def _n(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def _box(matrix: Matrix, box: list[float]) -> Array:
    """The bounding box of a rectangle moved by `matrix`."""
    corners = [_apply(matrix, x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    return Array([round(min(xs), 3), round(min(ys), 3), round(max(xs), 3), round(max(ys), 3)])


# --------------------------------------------------------------------------- content and resources


def _contents(page: pikepdf.Page) -> bytes:
    """A page's content, its streams put end to end."""
    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return bytes(contents.read_bytes())


def _renames(face: pikepdf.Page) -> dict[str, dict[str, Name]]:
    """New names, by category, for the faces' resources on the sheets."""
    resources = face.obj.get("/Resources") or Dictionary()
    found: dict[str, dict[str, Name]] = {}
    for category in _CATEGORIES:
        entries = resources.get(category)
        if isinstance(entries, Dictionary):
            found[category] = {str(key): Name("/" + _PREFIX + str(key)[1:]) for key in entries}
    return found


#: The operators `_front_content` may change: those naming a resource, and marked content.
_REWRITTEN_OPERATORS = frozenset(_RESOURCE_OPERANDS) | {"cs", "CS", "scn", "SCN", "BDC"}


def _front_content(face: pikepdf.Page, renames: dict[str, dict[str, Name]], offset: int,
                   slot: int) -> tuple[bytes, dict[str, Name]]:
    """A front's content with its resources renamed and its marked-content identifiers moved on; and
    the patterns it paints with, by their name on the sheet (the `slot`-th front's own: a pattern is
    laid in the page's space, so each front needs its own, moved with it, `moved_pattern`)."""
    instructions: list[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage] = []
    patterns: dict[str, Name] = {}
    for instruction in pikepdf.parse_content_stream(face):
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            instructions.append(instruction)
            continue
        operator = str(instruction.operator)
        if operator not in _REWRITTEN_OPERATORS:  # most of them (text, paths): kept as parsed
            instructions.append(instruction)
            continue
        operands = list(instruction.operands)
        category = _RESOURCE_OPERANDS.get(operator)
        if category is not None and operands and isinstance(operands[0], Name):
            operands[0] = renames[category].get(str(operands[0]), operands[0])
        elif operator in ("cs", "CS") and operands:
            operands[0] = renames.get("/ColorSpace", {}).get(str(operands[0]), operands[0])
        elif operator in ("scn", "SCN") and operands and isinstance(operands[-1], Name):
            original = str(operands[-1])
            if original in renames.get("/Pattern", {}):
                name = patterns.setdefault(original, Name(f"{renames['/Pattern'][original]}_{slot}"))
                operands[-1] = name
        elif operator == "BDC" and len(operands) == 2:
            properties = operands[1]
            if isinstance(properties, Name):
                operands[1] = renames.get("/Properties", {}).get(str(properties), properties)
            elif isinstance(properties, Dictionary) and "/MCID" in properties:
                moved = Dictionary(dict(properties.items()))
                moved.MCID = int(properties.MCID) + offset
                operands[1] = moved
        instructions.append(pikepdf.ContentStreamInstruction(operands, pikepdf.Operator(operator)))
    return bytes(pikepdf.unparse_content_stream(instructions)), patterns


def moved_pattern(out: Pdf, pattern: pikepdf.Object, matrix: Matrix) -> pikepdf.Object:
    """A copy of a pattern moved with the content that paints it: its matrix, then `matrix` (a
    pattern is laid in the page's default space, which the content's own `cm` does not move)."""
    own = [float(v) for v in pattern.get("/Matrix", Array([1, 0, 0, 1, 0, 0]))]
    composed = Array([round(v, 6) for v in _compose((own[0], own[1], own[2], own[3], own[4], own[5]), matrix)])
    copy: pikepdf.Object
    if isinstance(pattern, pikepdf.Stream):
        copy = out.make_stream(pattern.read_bytes())
        for key, value in pattern.items():
            if key not in ("/Length", "/Filter", "/DecodeParms"):
                copy[key] = value
    else:
        copy = out.make_indirect(Dictionary(dict(pattern.items())))
    copy.Matrix = composed
    return copy


def _compose(first: Matrix, then: Matrix) -> Matrix:
    """The matrix of `first` followed by `then`."""
    a, b, c, d, e, f = first
    a2, b2, c2, d2, e2, f2 = then
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _back_form(out: Pdf, face: pikepdf.Page) -> pikepdf.Stream:
    """The deck's back as one form XObject, without marked content (it is drawn as an artifact)."""
    instructions = [
        i for i in pikepdf.parse_content_stream(face)
        if isinstance(i, pikepdf.ContentStreamInlineImage) or str(i.operator) not in _MARKED
    ]
    form = out.make_stream(bytes(pikepdf.unparse_content_stream(instructions)))
    form.Type = Name.XObject
    form.Subtype = Name.Form
    form.BBox = Array([float(v) for v in face.mediabox])
    form.Resources = face.obj.Resources
    return form


def _page_resources(own: pikepdf.Object | None, faces: Dictionary, renames: dict[str, dict[str, Name]],
                    patterns: Dictionary, back: pikepdf.Stream | None) -> Dictionary:
    """A sheet's resources: its own, the fronts' under their new names (patterns: the fronts' own
    copies), the back."""
    merged = Dictionary()
    own = own if isinstance(own, Dictionary) else Dictionary()
    for key, value in own.items():
        if key not in _CATEGORIES:
            merged[key] = value
    for category in _CATEGORIES:
        entries = Dictionary()
        mine = own.get(category)
        if isinstance(mine, Dictionary):
            for key, value in mine.items():
                entries[key] = value
        theirs = faces.get(category)
        if category == "/Pattern":
            for key, value in patterns.items():
                entries[key] = value
        elif isinstance(theirs, Dictionary):
            for key, value in theirs.items():
                entries[renames[category][str(key)]] = value
        if category == "/XObject" and back is not None:
            entries[_BACK] = back
        if len(entries):
            merged[category] = entries
    return merged


def _copy_page(out: Pdf, template: pikepdf.Page, contents: bytes) -> pikepdf.Page:
    """Another page like `template` (its boxes; its content is `contents`), added at the end; only a
    page without tagged content of its own may be copied."""
    if b"/MCID" in contents:
        raise ValueError("impose: a sheet with tagged content of its own cannot be used twice")
    page = Dictionary(Type=Name.Page)
    for key in ("/MediaBox", "/TrimBox", "/BleedBox", "/CropBox", "/Resources", "/Tabs"):
        if key in template.obj:
            page[key] = template.obj[key]
    page.Contents = out.make_stream(contents)
    out.pages.append(pikepdf.Page(page))
    return out.pages[-1]


# --------------------------------------------------------------------------- structure


def _kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    kids = element.get("/K") if isinstance(element, Dictionary) else element
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def _section_of(document: Dictionary, page: pikepdf.Page) -> Dictionary | None:
    """The sheet's own section among the document's elements."""
    for kid in _kids(document):
        if isinstance(kid, Dictionary) and kid.get("/S") == Name.Sect and "/Pg" in kid \
                and kid.Pg.objgen == page.obj.objgen:
            return kid
    return None


def _insert_before_text(section: Dictionary, kid: pikepdf.Object) -> None:
    """Add a front to the sheet's section, before the sheet's text lines (as the cards came before
    them in the sheet's markup)."""
    kids = section.get("/K")
    if not isinstance(kids, Array):
        kids = Array(_kids(section))
        section.K = kids
    for index, other in enumerate(kids):
        if isinstance(other, Dictionary) and other.get("/S") == Name.P:
            kids.insert(index, kid)
            return
    kids.append(kid)


def _move(element: pikepdf.Object, parent: Dictionary, page: pikepdf.Page, offset: int, matrix: Matrix) -> None:
    """Hang a front's structure element under `parent` on the sheet `page`: its page, its
    marked-content identifiers and its figures' boxes follow the front."""
    if not isinstance(element, Dictionary):
        return
    element.P = parent
    stack = [element]
    while stack:
        node = stack.pop()
        if "/Pg" in node:
            node.Pg = page.obj
        attributes = node.get("/A")
        for attribute in attributes if isinstance(attributes, Array) else [attributes]:
            if isinstance(attribute, Dictionary) and "/BBox" in attribute:
                attribute.BBox = _box(matrix, [float(v) for v in attribute.BBox])
        kids = node.get("/K")
        if kids is None:
            continue
        items = kids if isinstance(kids, Array) else Array([kids])
        for index, kid in enumerate(items):
            if isinstance(kid, int):
                items[index] = int(kid) + offset
            elif isinstance(kid, Dictionary):
                kind = kid.get("/Type")
                if kind == Name.MCR:
                    kid.MCID = int(kid.MCID) + offset
                    kid.Pg = page.obj
                elif kind == Name.OBJR:
                    kid.Pg = page.obj
                else:
                    stack.append(kid)
        node.K = items


def _bookmarks(out: Pdf, faces: Pdf, placed: Iterable[tuple[int, Matrix, int]]) -> None:
    """The fronts' bookmarks (card titles), under the sheets' own first one, pointing to the sheets."""
    where = {face: (matrix, page) for face, matrix, page in placed}
    index = {page.obj.objgen: number for number, page in enumerate(faces.pages)}
    with faces.open_outline() as own, out.open_outline() as outline:
        moved = (_moved(item, index, where) for item in own.root)
        items = [item for item in moved if item is not None]
        if not items:
            return
        if len(outline.root):
            outline.root[0].children.extend(items)
        else:
            outline.root.extend(items)


def _moved(item: pikepdf.OutlineItem, index: dict[tuple[int, int], int],
           where: dict[int, tuple[Matrix, int]]) -> pikepdf.OutlineItem | None:
    dest = item.destination
    if not isinstance(dest, Array) or not len(dest) or not isinstance(dest[0], Dictionary):
        return None
    face = index.get(dest[0].objgen)
    if face is None or face not in where:
        return None
    matrix, page = where[face]
    if len(dest) >= 4 and str(dest[1]) == "/XYZ":
        left, top = _apply(matrix, float(dest[2]), float(dest[3]))
        copy = pikepdf.OutlineItem(item.title, page, "XYZ", left=round(left, 3), top=round(top, 3))
    else:
        copy = pikepdf.OutlineItem(item.title, page)
    children = (_moved(child, index, where) for child in item.children)
    copy.children.extend(child for child in children if child is not None)
    return copy
