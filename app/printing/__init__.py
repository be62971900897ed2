"""The print pipeline: decks, imposition, QR codes, PDF rendering, build cache, territory kits."""

import logging

# WeasyPrint logs every stylesheet it parses (its own, at import time, too) and fontTools every woff2
# font it decodes: quiet them before anything imports WeasyPrint.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("fontTools.ttLib.woff2").setLevel(logging.WARNING)
# pikepdf announces its C++ log bridge at INFO level when first imported.
logging.getLogger("pikepdf._core").setLevel(logging.WARNING)
