"""Running pandoc's citeproc: one pandoc process formats a whole batch of CSL-JSON items.

pandoc (the binary shipped in the PyPI package pypandoc-binary) is started as a Lua interpreter
(`pandoc lua`) with the script below, which reads the items, the style and the locale from standard
input and calls `pandoc.utils.citeproc` once per item (standalone entries: every item is formatted
as if it were the only one cited) or once for all of them (a bibliography), then writes each entry and
citation as plain text and as HTML. Starting pandoc costs far more than formatting, so callers batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pypandoc

from mtkb.citations import engine_runs
from mtkb.citations.engine_runs import run_engine
from mtkb.errors import CitationError, EngineUnavailable

_binary: str | None = None


def use_binary(path: str | None) -> None:
    """Run `path` as the engine instead of pypandoc-binary's pandoc (None: that one again)."""
    global _binary
    _binary = path or None
    pandoc_version.cache_clear()
    engine_runs.reset()


LUA = r"""
local wopts = {wrap_text = 'wrap-none'}

local function write(inlines, format)
  local out = pandoc.write(pandoc.Pandoc({pandoc.Plain(inlines)}), format, wopts)
  return (out:gsub('^%s+', ''):gsub('%s+$', ''))
end

-- A block list as one run of inlines (an entry is one paragraph; keep its parts apart by a space).
local function inlines_of(blocks)
  local result = pandoc.Inlines({})
  for _, block in ipairs(blocks) do
    if block.content then
      if #result > 0 then result:insert(pandoc.Space()) end
      if block.t == 'Div' then result:extend(inlines_of(block.content)) else result:extend(block.content) end
    end
  end
  return result
end

-- An entry div: the label of a numbered style (csl-left-margin, a Div or a Span) and the entry.
local function entry(div)
  local label, blocks = nil, pandoc.Blocks({})
  for _, block in ipairs(div.content) do
    if block.t == 'Div' and block.classes:includes('csl-left-margin') then
      label = pandoc.utils.stringify(block)
    elseif block.t == 'Div' and block.classes:includes('csl-right-inline') then
      blocks:extend(block.content)
    else
      blocks:insert(block)
    end
  end
  local body = pandoc.Inlines({})
  for _, el in ipairs(inlines_of(blocks)) do
    if el.t == 'Span' and el.classes:includes('csl-left-margin') then
      label = pandoc.utils.stringify(el)
    elseif el.t == 'Span' and el.classes:includes('csl-right-inline') then
      body:extend(el.content)
    else
      body:insert(el)
    end
  end
  if label then label = label:gsub('^%s+', ''):gsub('%s+$', '') end
  return {key = div.identifier:gsub('^ref%-', ''), label = label,
          text = write(body, 'plain'), html = write(body, 'html')}
end

-- The rendered citation of a paragraph; a note style's citation is the text of its note.
local function citation(para)
  local inl = pandoc.Inlines({})
  for _, el in ipairs(para.content) do
    if el.t == 'Cite' then
      for _, part in ipairs(el.content) do
        if part.t == 'Note' then inl:extend(inlines_of(part.content)) else inl:insert(part) end
      end
    end
  end
  return {text = write(inl, 'plain'), html = write(inl, 'html')}
end

local function run(input, references, ids)
  local blocks = pandoc.Blocks({})
  for _, id in ipairs(ids) do
    local cite = pandoc.Citation(id, 'NormalCitation')
    blocks:insert(pandoc.Para({pandoc.Cite({pandoc.Str('[@' .. id .. ']')}, {cite})}))
  end
  local meta = {references = references, csl = input.csl, lang = input.locale}
  local doc = pandoc.utils.citeproc(pandoc.Pandoc(blocks, meta))
  local entries, cites = {}, {}
  for i, block in ipairs(doc.blocks) do
    if block.t == 'Para' and i <= #ids then
      cites[ids[i]] = citation(block)
    elseif block.t == 'Div' and block.identifier == 'refs' then
      for _, div in ipairs(block.content) do
        if div.t == 'Div' then table.insert(entries, entry(div)) end
      end
    end
  end
  return entries, cites
end

-- One job: items, a style and a locale, formatted as a bibliography or each standalone.
local function format(input)
  local refs = pandoc.read(pandoc.json.encode(input.items), 'csljson').meta.references
  local out = {entries = {}, cites = {}}
  if input.mode == 'bibliography' then
    local ids = {}
    for _, item in ipairs(input.items) do table.insert(ids, item.id) end
    out.entries, out.cites = run(input, refs, ids)
  else
    -- Standalone: each group is formatted in a run of its own; the caller groups only items that
    -- cannot affect one another (no shared names, no numbers), so each comes out as if cited alone.
    local index = {}
    for i, item in ipairs(input.items) do index[item.id] = i end
    for _, group in ipairs(input.groups) do
      local subset = {}
      for _, id in ipairs(group) do table.insert(subset, refs[index[id]]) end
      local entries, cites = run(input, subset, group)
      for _, e in ipairs(entries) do table.insert(out.entries, e) end
      for _, id in ipairs(group) do out.cites[id] = cites[id] end
    end
  end
  return out
end

-- Several jobs in one run (pandoc's start costs more than a few entries), each with its own result.
local results = {}
for _, job in ipairs(pandoc.json.decode(io.read('a'), false).jobs) do
  table.insert(results, format(job))
end
io.write(pandoc.json.encode({results = results}))
"""


def pandoc_binary() -> str:
    """The engine set by `use_binary`, or the pandoc binary of pypandoc-binary (never a download)."""
    return _binary or _bundled_pandoc()


@cache
def _bundled_pandoc() -> str:
    """pypandoc-binary's pandoc, or pypandoc's idea of one (a missing one fails when run)."""
    bundled = Path(pypandoc.__file__).resolve().parent / "files" / "pandoc"
    if bundled.is_file():
        return str(bundled)
    try:
        return str(pypandoc.get_pandoc_path())
    except OSError:  # pragma: no cover - only without pypandoc-binary
        return "pandoc"


@cache
def pandoc_version() -> str:
    """The version of the pandoc binary, e.g. "3.9"."""
    out = run_engine([pandoc_binary(), "--version"], charge=False)
    if out.returncode != 0:
        raise EngineUnavailable("the citation engine does not run (pandoc --version failed)", 30)
    return out.stdout.decode("utf-8", "replace").split()[1]


@dataclass(frozen=True)
class Job:
    """CSL-JSON `items` to format with the style file `csl` in `locale`. `mode` is "standalone" (each of
    `groups` of item ids formatted apart; default: each item alone) or "bibliography" (all together,
    sorted or numbered by the style)."""

    items: list[dict[str, Any]]
    csl: Path
    locale: str
    mode: str
    groups: list[list[str]] | None = None

    def payload(self) -> dict[str, Any]:
        groups = self.groups if self.groups is not None else [[item["id"]] for item in self.items]
        return {
            "items": self.items,
            "csl": str(self.csl),
            "locale": self.locale,
            "mode": self.mode,
            "groups": groups,
        }


def run_citeproc(
    items: list[dict[str, Any]],
    csl: Path,
    locale: str,
    mode: str,
    groups: list[list[str]] | None = None,
) -> dict[str, Any]:
    """Format one Job (see there) in one pandoc run. Returns {"entries": [{key, label, text, html}],
    "cites": {key: {text, html}}}; raises CitationError if pandoc fails or an item is missing."""
    return run_jobs([Job(items, csl, locale, mode, groups)])[0]


def run_jobs(jobs: Sequence[Job]) -> list[dict[str, Any]]:
    """Format several jobs in one pandoc run (starting pandoc costs more than formatting a few entries).
    Returns each job's result as `run_citeproc` does; raises CitationError if pandoc fails or an item is
    missing from its output, EngineUnavailable as `run_engine` says (a time limit, a missing engine)."""
    if not jobs:
        return []
    payload = json.dumps({"jobs": [job.payload() for job in jobs]})
    done = run_engine([pandoc_binary(), "lua", "-e", LUA], payload.encode("utf-8"))
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CitationError(f"the citation engine failed: {message[-1] if message else done.returncode}")
    results: list[dict[str, Any]] = json.loads(done.stdout.decode("utf-8"))["results"]
    for job, result in zip(jobs, results, strict=True):
        if isinstance(result.get("cites"), list):  # an empty Lua table encodes as []
            result["cites"] = {}
        if isinstance(result.get("entries"), dict):
            result["entries"] = []
        missing = {item["id"] for item in job.items} - {e["key"] for e in result["entries"]}
        if missing:
            raise CitationError(f"the citation engine gave no entry for {', '.join(sorted(missing))}")
    return results
