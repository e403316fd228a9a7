"""Stage 4, size: lossless optimisation, then the image ladder that fits the budget."""
