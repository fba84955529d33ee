"""mtkb: the domain of the music therapy knowledge base.

Records, their schemas, the Markdown and BibTeX sources they are read from, the corpus checks and the
citation formatting. Nothing here imports Flask or whoosh.
"""

ITEM_TYPES = ("guideline", "recommendation", "evidence", "report", "fact", "service")
"""Knowledge item types, in the order they are listed everywhere."""

ALL_TYPES = (*ITEM_TYPES, "reference")
"""Every type a search hit or a JSON record can have."""
