"""Readers for the two content sources: Markdown items and BibTeX references."""
