"""The relevance benchmark: mtkb's search against SQLite FTS5 BM25 on a judged query set, in one run.

    python -m bench.relevance [--queries bench/relevance_queries.yaml] [--show] [--write-readme]

The queries (bench/relevance_queries.yaml) were written from the users' side before the search was tuned,
each judged by the stable ids of the items that answer it (grade 2: the answer, 1: also useful); a third of
them are held out (nothing was tuned on them). Both engines index the same documents, those of the real
knowledge base (kb/, references/) as `mtkb build` makes them:

- mtkb: `index.build_index` into a temporary folder, queries through `OpenBuild.search(SearchRequest(q))`,
  the first 10 hits;
- FTS5 (stdlib sqlite3): one table over each record's title, text and authors as the index stores them,
  tokenizer `porter unicode61 remove_diacritics 2`, the first 10 by `bm25(docs, 3, 1, 2)` (title, text,
  author weighted as in bench/index_bench.py), every word of the query quoted as Datasette's `escape_fts`
  does (so all of them are required, FTS5's default): what a user builds in an afternoon.

For each engine and part (tuned, held out, all) it prints success@1 and success@3 (a judged item among the
first 1 or 3 hits), MRR (1 / rank of the first judged item, 0 when none of the first 10), nDCG@10 (gains
2^grade - 1) and the share of queries with no hits at all.
"""

from __future__ import annotations

import argparse
import math
import re
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from index import IndexHandle, SearchRequest, build_index
from index.documents import document
from mtkb.corpus import Corpus, load_corpus
from mtkb.errors import QueryError
from mtkb.records import Item, Reference

ROOT = Path(__file__).resolve().parent.parent
QUERIES = Path(__file__).with_name("relevance_queries.yaml")
README = Path(__file__).with_name("README.md")
START, END = "<!-- relevance:start -->", "<!-- relevance:end -->"
DEPTH = 10
"""Hits looked at per query (MRR and nDCG are cut here)."""


@dataclass(frozen=True)
class Judged:
    q: str
    lang: str
    kind: str
    heldout: bool
    relevant: dict[str, int]


def load_queries(path: Path = QUERIES) -> list[Judged]:
    """The judged queries of `path`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Judged(
            str(e["q"]),
            e["lang"],
            e["kind"],
            bool(e.get("heldout")),
            {str(k): int(v) for k, v in e["relevant"].items()},
        )
        for e in data
    ]


Engine = Callable[[str], list[str]]
"""A query's first DEPTH hits as `type/id`."""


def mtkb_engine(corpus: Corpus, work: Path) -> Engine:
    build_index(corpus, work, prerender_citations=False)
    opened = IndexHandle(work).current()

    def run(q: str) -> list[str]:
        request = SearchRequest(q=q, per_page=DEPTH, facets=False, highlights=False)
        try:
            found = opened.search(request)
        except QueryError:  # a query the search refuses finds nothing for the user
            return []
        return [f"{h.type}/{h.id}" for h in found.hits]

    return run


def fts5_engine(corpus: Corpus) -> Engine:
    db = sqlite3.connect(":memory:")
    db.execute(
        "create virtual table docs using fts5(key unindexed, title, body, author,"
        " tokenize='porter unicode61 remove_diacritics 2')"
    )
    records: list[Item | Reference] = [*corpus.items.values(), *corpus.references.values()]
    rows = []
    for record in records:
        fields = document(record).fields
        rows.append((fields["key"], fields["title_nb"], fields["display"]["text"], fields["author"]))
    db.executemany("insert into docs values (?, ?, ?, ?)", rows)

    def run(q: str) -> list[str]:
        words = re.findall(r"\w+", q)
        if not words:
            return []
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        found = db.execute(
            "select key from docs where docs match ? order by bm25(docs, 3.0, 1.0, 2.0) limit ?",
            (match, DEPTH),
        )
        return [row[0] for row in found]

    return run


@dataclass(frozen=True)
class Scores:
    n: int
    success1: float
    success3: float
    mrr: float
    ndcg: float
    no_hits: float


def evaluate(engine: Engine, queries: Sequence[Judged]) -> tuple[Scores, list[tuple[Judged, list[str]]]]:
    s1 = s3 = rr = nd = empty = 0.0
    runs = []
    for judged in queries:
        hits = engine(judged.q)[:DEPTH]
        runs.append((judged, hits))
        ranks = [i for i, key in enumerate(hits) if key in judged.relevant]
        s1 += bool(ranks and ranks[0] < 1)
        s3 += bool(ranks and ranks[0] < 3)
        rr += 1 / (ranks[0] + 1) if ranks else 0
        empty += not hits
        dcg = sum((2 ** judged.relevant.get(key, 0) - 1) / math.log2(i + 2) for i, key in enumerate(hits))
        ideal = sorted(judged.relevant.values(), reverse=True)[:DEPTH]
        idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
        nd += dcg / idcg
    n = len(queries) or 1
    return Scores(len(queries), s1 / n, s3 / n, rr / n, nd / n, empty / n), runs


def table(results: dict[tuple[str, str], Scores]) -> str:
    lines = [
        "| part | engine | queries | success@1 | success@3 | MRR | nDCG@10 | no hits |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (part, engine), s in results.items():
        lines.append(
            f"| {part} | {engine} | {s.n} | {s.success1:.2f} | {s.success3:.2f} | {s.mrr:.2f} | {s.ndcg:.2f} "
            f"| {s.no_hits:.2f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--show", action="store_true", help="print each query's first hits and rank")
    parser.add_argument("--write-readme", action="store_true", help=f"put the table in {README}")
    args = parser.parse_args(argv)
    queries = load_queries(args.queries)
    corpus = load_corpus(ROOT / "kb", ROOT / "references")
    with tempfile.TemporaryDirectory() as work:
        engines = {"mtkb": mtkb_engine(corpus, Path(work)), "FTS5 BM25": fts5_engine(corpus)}
        parts = {
            "tuned": [q for q in queries if not q.heldout],
            "held out": [q for q in queries if q.heldout],
            "all": queries,
            "all, Norwegian": [q for q in queries if q.lang == "nb"],
            "all, English": [q for q in queries if q.lang == "en"],
        }
        results: dict[tuple[str, str], Scores] = {}
        for part, chosen in parts.items():
            for name, engine in engines.items():
                results[part, name], runs = evaluate(engine, chosen)
                if args.show and part == "all":
                    for judged, hits in runs:
                        ranks = [i + 1 for i, key in enumerate(hits) if key in judged.relevant]
                        mark = "H" if judged.heldout else " "
                        print(f"{name[:4]} {mark} {ranks[:1] or '-'!s:5} {judged.q!r}: {hits[:3]}")
    out = table(results)
    print(out)
    if args.write_readme:
        text = README.read_text(encoding="utf-8")
        before, _, rest = text.partition(START)
        _, _, after = rest.partition(END)
        README.write_text(f"{before}{START}\n{out}\n{END}{after}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
