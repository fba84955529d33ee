"""One module per resource; each defines `ns`, a flask-restx Namespace."""
