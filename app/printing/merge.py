"""Part PDFs merged into one file (the booklet, the whole kit), still tagged, with one outline.

WeasyPrint writes each part (the booklet's front and body, each deck) as a tagged PDF. Merging
them with qpdf (pikepdf) is fast, but copying pages alone would drop the structure tree and the
named destinations, so both are kept: each part's document element becomes a Part of one new
Document element, its parent-tree keys are shifted past the previous parts' keys (pages'
`/StructParents`, annotations' `/StructParent`), and every part's named destinations go into one
name tree. qpdf copies each part's objects with one mapping per source file, so references to
pages from structure elements, outlines and destinations land on the copied pages.

A part may link to another part's destination: WeasyPrint drops internal links whose anchor is
not in the same document, so such links are written as URIs `DEST_LINK_PREFIX + name` and turned
into `/Dest` links here. Page labels make the viewer's page numbers match the printed ones.

One document may come in chunks rendered apart (the booklet's body): a chunk's structure continues
the previous one's Part, its page labels run on, and page numbers are stamped on its pages from a
document of page numbers (`folios`), each drawn as a pagination artifact.

What a print shop's preflight and a PDF/UA checker ask of the merged file is settled here too:
every part after the first starts on a recto (a blank page is added after an odd part, so that
duplex runs stay registered), each embedded font subset gets a name of its own (the parts' subsets
of one font would otherwise share a name), table header cells say their scope, and the colours
are declared sRGB by an output intent.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem, Pdf

#: How far (dx, dy, in points) the content of each centred page moved, by the page's object id.
Moves = dict[tuple[int, int], tuple[float, float]]


@dataclass
class _Centring:
    """What centring the pages of one merge has done to objects pages may share: the moved copies
    of patterns, by (pattern's object id, dx, dy), and the annotations already moved."""

    patterns: dict[tuple[tuple[int, int], float, float], pikepdf.Object] = field(default_factory=dict)
    annotations: set[tuple[int, int]] = field(default_factory=set)


#: URI prefix of a link to a named destination of another part (see the module docstring).
DEST_LINK_PREFIX = "x-mallette-dest:"


@dataclass(frozen=True)
class MergePart:
    """One part PDF; `bookmark` titles it in the merged outline (None: keep the part's own outline).

    `label_style` numbers its pages in the viewer: "D" decimal, "r" lower-case roman, from 1,
    after `label_prefix`; None: the previous part's numbering runs on.
    """

    data: bytes
    bookmark: str | None = None
    label_style: str | None = "D"
    label_prefix: str = ""
    #: Start on a recto (odd page): printed duplex, the part's first sheet is its own.
    recto: bool = True
    #: A chunk of the previous part's document: its structure goes into the previous Part.
    continues: bool = False
    #: The page number stamped on its first page (from `merge_pdfs`' folios), and on.
    folio: int | None = None
    #: The sheet (width, height in mm) its smaller pages print on, centred: each becomes a page of
    #: the sheet's size from 0, 0 (where preflight tools expect the origin), its content, its links'
    #: areas, its figures' boxes and the destinations on it moved to the middle (`_centre_on_sheet`).
    sheet_mm: tuple[float, float] | None = None


@dataclass(frozen=True)
class MergeInfo:
    """Document information of the merged PDF."""

    title: str
    author: str
    subject: str
    creator: str
    date: datetime
    lang: str = "fr"
    #: Long-edge duplex and no print scaling (home-edition sheets).
    duplex: bool = False
    #: Bookmark grouping the parts that have a `bookmark` title.
    group_bookmark: str = ""


def merge_pdfs(parts: list[MergePart], target: Path, info: MergeInfo, folios: bytes | None = None) -> int:
    """Write the parts as one tagged PDF to `target`; return its page count. Deterministic output.

    `folios`: a PDF whose page n holds page number n alone, where the parts' pages print it (for
    the parts with a `folio`)."""
    out = Pdf.new()
    stamps = _Folios(out, Pdf.open(io.BytesIO(folios))) if folios is not None else None
    parent_tree: list[tuple[int, pikepdf.Object]] = []
    struct_kids = Array()
    role_map = Dictionary()
    outlines: list[tuple[Pdf, int, str | None]] = []
    dests: dict[str, pikepdf.Object] = {}
    moves: Moves = {}
    centring = _Centring()
    labels = Array()
    next_key = 0
    sources = []
    for part in parts:
        source = Pdf.open(io.BytesIO(part.data))
        sources.append(source)
        if part.recto and len(out.pages) % 2:
            _blank_like(out)
        start = len(out.pages)
        shift = next_key
        with warnings.catch_warnings():
            # The warning is about named destinations, which are carried over just below.
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            out.pages.extend(source.pages)
        if part.label_style is not None:
            labels.append(start)
            labels.append(Dictionary(S=Name("/" + part.label_style), P=pikepdf.String(part.label_prefix)))
        copied = list(out.pages)[start:]
        if part.folio is not None:
            if stamps is None:
                raise ValueError("merge_pdfs: a part has a folio, but no folios were given")
            for folio, page in enumerate(copied, start=part.folio):
                stamps.stamp(page, folio)
        if part.sheet_mm is not None:  # after the folios: they are drawn where the page's own foot is
            for page in copied:
                move = _centre_on_sheet(out, page, part.sheet_mm, centring)
                if move is not None:
                    moves[page.obj.objgen] = move
        highest = -1
        for page in copied:
            highest = max(highest, _shift_keys(page.obj, shift))
        tree = source.Root.get("/StructTreeRoot")
        if tree is not None:
            for number, value in _tree_pairs(tree.get("/ParentTree"), "/Nums"):
                key = int(number) + shift
                parent_tree.append((key, _copy(out, value)))
                highest = max(highest, key)
            if tree.get("/K") is not None:
                kids = _copy(out, tree.K)
                for kid in kids if isinstance(kids, Array) else [kids]:
                    previous = struct_kids[len(struct_kids) - 1] if len(struct_kids) else None
                    if part.continues and isinstance(previous, Dictionary) and isinstance(kid, Dictionary):
                        _append_kids(previous, kid)
                    else:
                        struct_kids.append(kid)
            for name, value in (tree.get("/RoleMap") or {}).items():
                role_map[name] = value
        next_key = max(next_key, highest + 1)
        names = source.Root.get("/Names")
        if isinstance(names, Dictionary) and names.get("/Dests") is not None:
            for label, value in _tree_pairs(names.Dests, "/Names"):
                if str(label) not in dests:
                    dests[str(label)] = _copy(out, value)
        outlines.append((source, start, part.bookmark))

    # One Document element; each part's own Document element becomes one of its Parts.
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root, K=struct_kids))
    root.K = Array([document])
    for kid in struct_kids:
        if isinstance(kid, Dictionary):
            kid.P = document
            if kid.get("/S") == Name.Document:
                kid.S = Name.Part
    nums = Array()
    for key, value in sorted(parent_tree, key=lambda kv: kv[0]):
        nums.append(key)
        nums.append(value)
    _table_scopes(document)
    if moves:
        _move_figure_boxes(document, moves)
    root.ParentTree = out.make_indirect(Dictionary(Nums=nums))
    root.ParentTreeNextKey = next_key
    if len(role_map):
        root.RoleMap = role_map
    out.Root.StructTreeRoot = root
    if dests:
        flat = Array()
        for name in sorted(dests):
            flat.append(pikepdf.String(name))
            flat.append(dests[name])
        out.Root.Names = Dictionary(Dests=out.make_indirect(Dictionary(Names=flat)))
    _resolve_dest_links(out, set(dests))
    if moves:
        _move_destinations(out, dests.values(), moves)
    out.Root.PageLabels = Dictionary(Nums=labels)
    out.Root.MarkInfo = Dictionary(Marked=True)
    out.Root.Lang = pikepdf.String(info.lang)
    prefs = Dictionary(DisplayDocTitle=True)
    if info.duplex:
        prefs.PrintScaling = Name.None_
        prefs.Duplex = Name.DuplexFlipLongEdge
    out.Root.ViewerPreferences = prefs
    out.Root.PageMode = Name.UseOutlines
    _rename_font_subsets(out)
    _output_intent(out)
    _outline(out, outlines, info.group_bookmark)
    _metadata(out, sources[0] if sources else None, info)
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    pages = len(out.pages)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(target)
    return pages


def _append_kids(element: Dictionary, other: Dictionary) -> None:
    """Move the children of structure element `other` to the end of `element`'s."""
    own = element.get("/K")
    kids = own if isinstance(own, Array) else Array([] if own is None else [own])
    more = other.get("/K")
    for kid in more if isinstance(more, Array) else ([] if more is None else [more]):
        if isinstance(kid, Dictionary) and kid.get("/Type") != Name.MCR and kid.get("/Type") != Name.OBJR:
            kid.P = element
        kids.append(kid)
    element.K = kids


class _Folios:
    """Page numbers stamped on merged pages: page n of the folios PDF, as a form XObject drawn as a
    pagination artifact (the footer of a printed page)."""

    def __init__(self, out: Pdf, folios: Pdf) -> None:
        self.out = out
        self.folios = folios
        self.forms: dict[int, pikepdf.Object] = {}

    def stamp(self, page: pikepdf.Page, number: int) -> None:
        """Draw page number `number` on `page` (under its content: nothing else is drawn there)."""
        if not 1 <= number <= len(self.folios.pages):
            raise ValueError(f"no page number {number} among {len(self.folios.pages)} folios")
        form = self.forms.get(number)
        if form is None:
            form = self.out.copy_foreign(self.folios.pages[number - 1].as_form_xobject())
            self.forms[number] = form
        name = Name(f"/Folio{number}")
        resources = page.obj.get("/Resources")
        if not isinstance(resources, Dictionary):
            resources = Dictionary()
            page.obj.Resources = resources
        xobjects = resources.get("/XObject")
        if not isinstance(xobjects, Dictionary):
            xobjects = Dictionary()
            resources.XObject = xobjects
        xobjects[name] = form
        page.contents_add(
            pikepdf.Stream(self.out, b"q /Artifact <</Type /Pagination /Subtype /Footer>> BDC "
                           + name.unparse() + b" Do EMC Q\n"),
            prepend=True,
        )


def _centre_on_sheet(out: Pdf, page: pikepdf.Page, sheet_mm: tuple[float, float], done: _Centring,
                     ) -> tuple[float, float] | None:
    """Make a page smaller than the sheet a page of the sheet's size, its origin at 0, 0 and its
    content in the middle: the content (wrapped in a translation), its patterns and its links' areas
    move by (dx, dy), which is returned (`_move_destinations` moves the destinations on it). A page
    already trimmed to the sheet (a cover, with or without bleed) is kept: None. `done` keeps what
    was moved of what pages may share, so that it is moved once."""
    left, bottom, right, top = (float(v) for v in page.obj.get("/TrimBox", page.mediabox))
    width, height = (size * 72 / 25.4 for size in sheet_mm)
    spare_x, spare_y = width - (right - left), height - (top - bottom)
    if abs(spare_x) < 0.5 and abs(spare_y) < 0.5:
        return None
    if spare_x < -0.5 or spare_y < -0.5:
        raise ValueError(f"a page of {right - left:.1f} x {top - bottom:.1f} pt does not fit on a sheet "
                         f"of {sheet_mm} mm")
    width, height = max(width, right - left), max(height, top - bottom)
    dx, dy = round(max(spare_x, 0.0) / 2 - left, 3), round(max(spare_y, 0.0) / 2 - bottom, 3)
    page.contents_add(pikepdf.Stream(out, f"q 1 0 0 1 {dx:g} {dy:g} cm\n".encode()), prepend=True)
    page.contents_add(pikepdf.Stream(out, b"\nQ\n"))
    _move_patterns(out, page, (dx, dy), done.patterns)
    box = Array([0, 0, round(width, 3), round(height, 3)])
    page.obj["/MediaBox"] = box
    for name in ("/CropBox", "/TrimBox", "/BleedBox", "/ArtBox"):
        if name in page.obj:
            page.obj[name] = box
    for annot in page.obj.get("/Annots") or []:
        if not isinstance(annot, Dictionary) or annot.objgen in done.annotations:
            continue
        if annot.is_indirect:
            done.annotations.add(annot.objgen)
        for key in ("/Rect", "/QuadPoints"):
            values = annot.get(key)
            if isinstance(values, Array):
                annot[key] = Array([float(v) + (dx if i % 2 == 0 else dy) for i, v in enumerate(values)])
    return dx, dy


def _move_patterns(out: Pdf, page: pikepdf.Page, move: tuple[float, float],
                   moved: dict[tuple[tuple[int, int], float, float], pikepdf.Object]) -> None:
    """Give the page resources of its own whose patterns are moved copies (pages of one chunk share
    their resources, and a pattern is laid in the page's default space, which the wrapper's `cm`
    leaves where it was)."""
    from .impose import moved_pattern  # impose.py builds on this module

    resources = page.obj.get("/Resources")
    own = resources.get("/Pattern") if isinstance(resources, Dictionary) else None
    if not isinstance(own, Dictionary) or not len(own):
        return
    patterns = Dictionary()
    for name, pattern in own.items():
        key = (pattern.objgen, *move)
        if key not in moved or pattern.objgen == (0, 0):
            moved[key] = moved_pattern(out, pattern, (1.0, 0.0, 0.0, 1.0, *move))
        patterns[name] = moved[key]
    assert isinstance(resources, Dictionary)
    copy = Dictionary(dict(resources.items()))
    copy.Pattern = patterns
    page.obj.Resources = copy


#: Where a destination's coordinates sit (index in the array, and whether it is an x), by its kind.
_DEST_COORDS: dict[str, tuple[tuple[int, bool], ...]] = {
    "/XYZ": ((2, True), (3, False)), "/FitH": ((2, False),), "/FitBH": ((2, False),),
    "/FitV": ((2, True),), "/FitBV": ((2, True),), "/FitR": ((2, True), (3, False), (4, True), (5, False)),
}


def _move_destinations(out: Pdf, dests: Iterable[pikepdf.Object], moves: Moves) -> None:
    """Move the destinations (named ones, and those of links and go-to actions) that point into a
    centred page by as much as its content moved."""
    seen: set[tuple[int, int]] = set()

    def first_time(obj: pikepdf.Object) -> bool:
        """Whether `obj` is met for the first time (a direct object always is: it is not shared)."""
        if not obj.is_indirect:
            return True
        if obj.objgen in seen:
            return False
        seen.add(obj.objgen)
        return True

    targets: list[pikepdf.Object | None] = list(dests)
    for page in out.pages:
        for annot in page.obj.get("/Annots") or []:
            if isinstance(annot, Dictionary) and first_time(annot):
                targets.append(annot.get("/Dest"))
                action = annot.get("/A")
                if isinstance(action, Dictionary) and first_time(action):
                    targets.append(action.get("/D"))
    for target in targets:
        # A named destination's value may be << /D [...] >>.
        dest = target.get("/D") if isinstance(target, Dictionary) else target
        if not isinstance(dest, Array) or len(dest) < 2 or not isinstance(dest[0], Dictionary):
            continue
        if not first_time(dest):
            continue
        move = moves.get(dest[0].objgen)
        if move is None:
            continue
        for index, is_x in _DEST_COORDS.get(str(dest[1]), ()):
            if index < len(dest) and dest[index] is not None:
                dest[index] = float(dest[index]) + (move[0] if is_x else move[1])


def _blank_like(out: Pdf) -> None:
    """Add a blank page of the last page's size (no content, nothing to tag)."""
    last = out.pages[-1]
    box = [float(v) for v in last.mediabox]
    out.add_blank_page(page_size=(box[2] - box[0], box[3] - box[1]))


def structure_elements(document: Dictionary) -> Iterator[Dictionary]:
    """Every structure element under `document` (itself included), each once."""
    seen: set[tuple[int, int]] = set()
    stack: list[pikepdf.Object] = [document]
    while stack:
        element = stack.pop()
        if isinstance(element, Array):
            stack.extend(element)
            continue
        if not isinstance(element, Dictionary) or element.objgen in seen:
            continue
        if element.objgen != (0, 0):
            seen.add(element.objgen)
        yield element
        kids = element.get("/K")
        if kids is not None:
            stack.append(kids)


def _table_scopes(document: Dictionary) -> None:
    """Give every table header cell its /Scope: Column in a header row (or a row of headers
    only), Row when it heads a row of data cells. WeasyPrint tags TH without it."""
    for element in structure_elements(document):
        kids = element.get("/K")
        if element.get("/S") == Name.TR and kids is not None:
            cells = [k for k in (kids if isinstance(kids, Array) else [kids]) if isinstance(k, Dictionary)]
            in_head = element.get("/P") is not None and element.P.get("/S") == Name.THead
            all_headers = all(c.get("/S") == Name.TH for c in cells)
            for cell in cells:
                if cell.get("/S") != Name.TH:
                    continue
                attributes = cell.get("/A")
                if not isinstance(attributes, Dictionary):
                    attributes = Dictionary(O=Name.Table)
                    cell.A = attributes
                attributes.Scope = Name.Column if in_head or all_headers else Name.Row


def _move_figure_boxes(document: Dictionary, moves: Moves) -> None:
    """Move the layout boxes (`/BBox`, user space) of the elements on a centred page with its content."""
    for element in structure_elements(document):
        page = element.get("/Pg")
        move = moves.get(page.objgen) if isinstance(page, Dictionary) else None
        if move is None:
            continue
        attributes = element.get("/A")
        for attribute in attributes if isinstance(attributes, Array) else [attributes]:
            if isinstance(attribute, Dictionary) and isinstance(attribute.get("/BBox"), Array):
                left, bottom, right, top = (float(v) for v in attribute.BBox)
                dx, dy = move
                attribute.BBox = Array([left + dx, bottom + dy, right + dx, top + dy])


def _rename_font_subsets(out: Pdf) -> None:
    """Name each embedded font subset by its own glyphs: parts rendered apart give their subsets
    of one font the same tag (JCZLPB+...), which preflight tools reject as a name clash."""
    for obj in out.objects:
        if not isinstance(obj, Dictionary) or obj.get("/Type") != Name.Font:
            continue
        descendants = obj.get("/DescendantFonts")
        font = descendants[0] if isinstance(descendants, Array) and len(descendants) else obj
        descriptor = font.get("/FontDescriptor")
        if not isinstance(descriptor, Dictionary):
            continue
        program = next((descriptor.get(k) for k in ("/FontFile2", "/FontFile3", "/FontFile")
                        if descriptor.get(k) is not None), None)
        name = str(obj.get("/BaseFont", ""))
        if program is None or "+" not in name:
            continue
        digest = hashlib.sha256(program.read_raw_bytes()).digest()
        tag = "".join(chr(65 + b % 26) for b in digest[:6])
        renamed = Name("/" + tag + name[name.index("+"):])
        obj.BaseFont = renamed
        font.BaseFont = renamed
        descriptor.FontName = renamed


def _srgb_profile() -> bytes:
    """An sRGB ICC profile (littlecms through Pillow), with a fixed date: same bytes every time."""
    from PIL import ImageCms

    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[24:36] = bytes([0x07, 0xEA, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])  # 2026-01-01 00:00:00
    return bytes(profile)


def _output_intent(out: Pdf) -> None:
    """Declare the colours as sRGB (every colour in the kit is RGB) for a print shop's RIP."""
    stream = pikepdf.Stream(out, _srgb_profile())
    stream.N = 3
    intent = Dictionary(
        Type=Name.OutputIntent,
        S=Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
        RegistryName=pikepdf.String("http://www.color.org"),
        Info=pikepdf.String("sRGB IEC61966-2.1"),
        DestOutputProfile=out.make_indirect(stream),
    )
    out.Root.OutputIntents = Array([out.make_indirect(intent)])


def _shift_keys(page: Dictionary, shift: int) -> int:
    """Move a page's parent-tree keys by `shift`; return the highest key it now uses (-1: none)."""
    highest = -1
    if "/StructParents" in page:
        page.StructParents = int(page.StructParents) + shift
        highest = int(page.StructParents)
    for annot in page.get("/Annots") or []:
        if isinstance(annot, Dictionary) and "/StructParent" in annot:
            annot.StructParent = int(annot.StructParent) + shift
            highest = max(highest, int(annot.StructParent))
    return highest


def _tree_pairs(node: pikepdf.Object | None, leaves: str) -> list[tuple[pikepdf.Object, pikepdf.Object]]:
    """The (key, value) pairs of a number tree (`leaves` "/Nums") or a name tree ("/Names")."""
    if not isinstance(node, Dictionary):
        return []
    found: list[tuple[pikepdf.Object, pikepdf.Object]] = []
    flat = node.get(leaves)
    if flat is not None:
        found.extend((flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2))
    for kid in node.get("/Kids") or []:
        found.extend(_tree_pairs(kid, leaves))
    return found


def _resolve_dest_links(out: Pdf, names: set[str]) -> None:
    """Turn `DEST_LINK_PREFIX` URI links into links to the named destinations they point to."""
    for page in out.pages:
        for annot in page.obj.get("/Annots") or []:
            action = annot.get("/A") if isinstance(annot, Dictionary) else None
            uri = str(action.get("/URI", "")) if isinstance(action, Dictionary) else ""
            if not uri.startswith(DEST_LINK_PREFIX):
                continue
            name = uri[len(DEST_LINK_PREFIX):]
            del annot["/A"]
            if name in names:
                annot.Dest = pikepdf.String(name)
                annot.Contents = pikepdf.String(name)


def _copy(out: Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    """Copy a value of another PDF into `out` (qpdf copies indirect objects; direct ones are rebuilt)."""
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        return out.copy_foreign(obj)
    if isinstance(obj, Array):
        return Array([_copy(out, item) for item in obj])
    if isinstance(obj, Dictionary):
        return Dictionary({key: _copy(out, value) for key, value in obj.items()})
    return obj


def _outline(out: Pdf, parts: list[tuple[Pdf, int, str | None]], group: str) -> None:
    """Each part's own bookmarks (moved to its pages), then a group of the titled parts."""
    with out.open_outline() as outline:
        grouped: list[OutlineItem] = []
        for source, start, bookmark in parts:
            if bookmark is not None:
                grouped.append(OutlineItem(bookmark, start))
                continue
            pages = {page.obj.objgen: index for index, page in enumerate(source.pages)}
            with source.open_outline() as own:
                for item in own.root:
                    outline.root.append(_moved(item, pages, start))
        if grouped:
            if group:
                head = OutlineItem(group, grouped[0].destination)
                head.children.extend(grouped)
                outline.root.append(head)
            else:
                outline.root.extend(grouped)


def _moved(item: OutlineItem, pages: dict[tuple[int, int], int], start: int) -> OutlineItem:
    index = 0
    dest = item.destination
    if isinstance(dest, Array) and len(dest) and isinstance(dest[0], Dictionary):
        index = pages.get(dest[0].objgen, 0)
    copy = OutlineItem(item.title, start + index)
    copy.children.extend(_moved(child, pages, start) for child in item.children)
    return copy


def _metadata(out: Pdf, first: Pdf | None, info: MergeInfo) -> None:
    stamp = info.date.strftime("D:%Y%m%d%H%M%S+00'00'")
    out.docinfo = out.make_indirect(
        Dictionary(
            Title=pikepdf.String(info.title),
            Author=pikepdf.String(info.author),
            Subject=pikepdf.String(info.subject),
            Creator=pikepdf.String(info.creator),
            Producer=pikepdf.String("Mallette (WeasyPrint, qpdf)"),
            CreationDate=pikepdf.String(stamp),
            ModDate=pikepdf.String(stamp),
        )
    )
    with out.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        if first is not None:
            with first.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as own:
                for key in ("pdfuaid:part",):
                    if key in own:
                        meta[key] = own[key]
        meta["dc:title"] = info.title
        meta["dc:creator"] = [info.author]
        meta["dc:description"] = info.subject
        meta["pdf:Producer"] = "Mallette (WeasyPrint, qpdf)"
        meta["xmp:CreatorTool"] = info.creator
        meta["xmp:CreateDate"] = info.date.isoformat()
        meta["xmp:ModifyDate"] = info.date.isoformat()
