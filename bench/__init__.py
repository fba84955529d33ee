"""Benchmarks: a deterministic synthetic bibliography generator and the index benchmark against SQLite FTS5.

`python -m bench.generate --size 10000 --out DIR` writes the BibTeX; `python -m bench.index_bench` builds and
queries whoosh and FTS5 over it and prints the table (see bench/README.md).
"""
