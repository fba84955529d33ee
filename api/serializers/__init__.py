"""One module per output format that is not the records' own JSON."""
