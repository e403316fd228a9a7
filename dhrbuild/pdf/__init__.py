"""Low-level PDF reading shared by every stage: geometry, text, decoding, pdfium, saving."""
