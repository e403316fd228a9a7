"""Stage 3, build: merge the parts, stamp the annex headings, navigation, tags, clean."""
