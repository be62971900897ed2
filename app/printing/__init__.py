"""The print pipeline: decks, imposition, QR codes, PDF rendering, build cache, territory kits."""
