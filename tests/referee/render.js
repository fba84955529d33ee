#!/usr/bin/env node
// The referee's second engine: citeproc-js (npm `citeproc`, the engine of Zotero and Mendeley) formats
// the same CSL-JSON items with the same .csl file and locale files that mtkb gives pandoc's citeproc.
//
// Input (JSON on standard input):
//   {"style": "<path of the .csl file>", "locales": "<folder of locales-xx-XX.xml>",
//    "runs": [{"locale": "nb-NO", "items": [<CSL-JSON item>, ...]}, ...]}
// Output (JSON on standard output): one result per run, in order:
//   [{"<item id>": {"bibliography": "<entry as text>", "intext": "<citation as text>"}, ...}, ...]
// Every item is formatted as if it were the only one cited (as mtkb's standalone entries are): the
// engine's registry holds that one item when its entry and its citation are made.
"use strict";

const fs = require("fs");
const path = require("path");
const CSL = require("citeproc");

function readStdin() {
  return fs.readFileSync(0, "utf-8");
}

function engineFor(styleXml, localesDir, locale, items) {
  const sys = {
    retrieveLocale: (lang) => {
      const file = path.join(localesDir, `locales-${lang}.xml`);
      return fs.existsSync(file) ? fs.readFileSync(file, "utf-8") : false;
    },
    retrieveItem: (id) => items[id],
  };
  // forceLang: the locale asked for wins over the style's default-locale, as pandoc's `lang` does.
  const engine = new CSL.Engine(sys, styleXml, locale, true);
  engine.setOutputFormat("text");
  return engine;
}

// One item as if it were the only one cited: its in-text citation and its bibliography entry.
function formatAlone(engine, id) {
  engine.updateItems([id]);
  const cluster = engine.makeCitationCluster([{ id }]);
  const [, entries] = engine.makeBibliography();
  const squash = (text) => text.replace(/\s+/g, " ").trim();
  return { bibliography: squash(entries.join("")), intext: squash(cluster) };
}

function main() {
  const input = JSON.parse(readStdin());
  const styleXml = fs.readFileSync(input.style, "utf-8");
  const numbered = /variable="citation-number"/.test(styleXml);
  const results = [];
  for (const run of input.runs) {
    const items = {};
    for (const item of run.items) items[item.id] = item;
    const engine = engineFor(styleXml, input.locales, run.locale, items);
    const out = {};
    for (const item of run.items) {
      const formatted = formatAlone(engine, item.id);
      // A numbered entry starts with its label ("1. ", "[1] "); mtkb's standalone entry has none.
      if (numbered) formatted.bibliography = formatted.bibliography.replace(/^(\[1\]|\(1\)|1\.?)(\s+|$)/, "");
      out[item.id] = formatted;
    }
    results.push(out);
  }
  process.stdout.write(JSON.stringify(results));
}

main();
