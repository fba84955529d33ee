/*! mtkb recommendation card, https://HOST/widget-example
 *
 * <script src="https://HOST/widget.js" data-mtkb-recommendation="musikkterapi-rusbehandling"
 *         data-lang="nb" referrerpolicy="no-referrer" crossorigin="anonymous" async></script>
 *
 * Renders a card right after each such script tag, or inside any element with a
 * data-mtkb-recommendation attribute, from the JSON API on the host the script came from.
 * Second mode: data-county="Vestland" (or data-municipality="Bergen") on the script tag, or on an
 * element with a data-mtkb-services attribute, lists the services that offer music therapy there.
 * No dependencies; styles live in a shadow root; no cookies and no referrer are sent; every
 * text from the API is inserted as text, never parsed as HTML. When the API cannot be reached
 * the card shrinks to a plain link to the recommendation's page.
 */
(function () {
  "use strict";

  if (window.mtkbWidget) {
    // The script is on the page more than once: the first copy renders every card and service list.
    window.mtkbWidget.scan();
    return;
  }

  var current = document.currentScript;
  var DEFAULT_API = current && current.src ? new URL(current.src, document.baseURI).origin : "";
  var TIMEOUT_MS = 8000;
  var ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
  var NLOD = "https://data.norge.no/nlod/no/2.0";
  var CC_BY = "https://creativecommons.org/licenses/by/4.0/";

  var TEXT = {
    nb: {
      kicker: "Anbefaling fra", loading: "Henter anbefalingen …",
      failed: "Anbefalingen kunne ikke hentes akkurat nå.", open: "Les anbefalingen hos mtkb",
      quoted: "Ordrett fra", strength: "Styrke", grade: "Kunnskapsgrunnlag", changed: "Sist faglig endret",
      research: "Forskningen",
      newer: "nyere enn anbefalingen", basis: "grunnlag for anbefalingen", superseded: "erstattet",
      strong: "Sterk", weak: "Svak", unknown: "Ukjent",
      stated: "oppgitt av kilden", inferred: "utledet av ordlyden",
      source: "Kilde", compiled: "Sammenstilt av", more: "Se hele kunnskapsgrunnlaget", summary: null,
      quote: ["«", "»"]
    },
    nn: {
      kicker: "Tilråding frå", loading: "Hentar tilrådinga …",
      failed: "Tilrådinga kunne ikkje hentast akkurat no.", open: "Les tilrådinga hos mtkb",
      quoted: "Ordrett frå", strength: "Styrke", grade: "Kunnskapsgrunnlag", changed: "Sist fagleg endra",
      research: "Forskinga",
      newer: "nyare enn tilrådinga", basis: "grunnlag for tilrådinga", superseded: "erstatta",
      strong: "Sterk", weak: "Svak", unknown: "Ukjend",
      stated: "oppgitt av kjelda", inferred: "utleidd av ordlyden",
      source: "Kjelde", compiled: "Samanstilt av", more: "Sjå heile kunnskapsgrunnlaget", summary: null,
      quote: ["«", "»"]
    },
    en: {
      kicker: "Recommendation from", loading: "Loading the recommendation …",
      failed: "The recommendation could not be loaded right now.", open: "Read the recommendation at mtkb",
      quoted: "Quoted verbatim from", strength: "Strength", grade: "Basis of evidence", changed: "Last professional change",
      research: "The research",
      newer: "newer than the recommendation", basis: "basis of the recommendation", superseded: "superseded",
      strong: "Strong", weak: "Weak", unknown: "Unknown",
      stated: "stated by the source", inferred: "inferred from the wording",
      source: "Source", compiled: "Compiled by", more: "See all the evidence", summary: "Summary",
      quote: ["\u201c", "\u201d"]
    }
  };

  var CSS = [
    ":host{all:initial;display:block;margin:1.25em 0;contain:content;container-type:inline-size}",
    ".card{box-sizing:border-box;max-width:42em;padding:1.1em 1.25em;background:#fff;color:#1b1f24;",
    "border:1px solid #c9d2dc;border-left:6px solid #0f5e5f;border-radius:6px;overflow-wrap:anywhere;",
    "font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}",
    ".kicker{margin:0 0 .25em;font-size:.875em;color:#46505c}",
    ".title{margin:0 0 .75em;font-size:1.3em;line-height:1.25;font-weight:700;color:#1b1f24}",
    "figure{margin:0 0 .9em}",
    "blockquote{margin:0;padding:.6em .9em;border-left:4px solid #7a8794;background:#f3f5f7;font-size:1.05em}",
    "blockquote p{margin:0}",
    "figcaption{margin-top:.35em;font-size:.85em;color:#46505c}",
    "dl{display:grid;grid-template-columns:minmax(0,max-content) minmax(0,1fr);gap:.25em 1em;margin:0 0 .9em}",
    // A narrow card (a phone, or a narrow column of the host page) puts each answer under its term: the
    // paint containment above clips whatever a second column would push past the card's edge.
    "@container (max-width:30em){.card{padding:.9em 1em}dl{grid-template-columns:minmax(0,1fr);gap:0}dd{margin-bottom:.45em}}",
    "dt{font-weight:600}dd{margin:0}",
    ".h{margin:.2em 0 .35em;font-size:1em;font-weight:700}",
    "ul{margin:0 0 .9em;padding-left:1.2em}li{margin:.15em 0}",
    ".tag{display:inline-block;margin-left:.35em;padding:0 .4em;border-radius:3px;font-size:.8em;",
    "background:#e6eef7;color:#17365d}",
    ".tag.warn{background:#fbe9e7;color:#8a1c1c}",
    ".summary{margin:0 0 .9em}",
    ".source{margin:0 0 .6em;font-size:.85em;color:#46505c}",
    "a{color:#0b57d0;text-decoration:underline;text-underline-offset:2px}",
    "a:hover{color:#083f99}",
    "a:focus-visible{outline:3px solid #1b1f24;outline-offset:2px;border-radius:2px;background:#ffe58a;color:#1b1f24}",
    ".more{font-weight:600}",
    ".quiet{margin:0;font-size:.95em}",
    "@media (prefers-reduced-motion:no-preference){a{transition:color .1s}}"
  ].join("");

  var sheet = null;
  var requests = {};
  var mounted = typeof WeakSet === "function" ? new WeakSet() : null;

  function safeHref(value) {
    try {
      var url = new URL(value, DEFAULT_API || document.baseURI);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // An element with attributes and children; strings become text nodes, never markup.
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] !== null && attrs[name] !== undefined) node.setAttribute(name, String(attrs[name]));
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined && child !== false) {
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  function link(href, text, attrs) {
    var safe = safeHref(href);
    if (!safe) return document.createTextNode(text);
    return h("a", Object.assign({ href: safe, rel: "noopener" }, attrs || {}), [text]);
  }

  function styleShadow(root) {
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      try {
        if (!sheet) {
          sheet = new CSSStyleSheet();
          sheet.replaceSync(CSS);
        }
        root.adoptedStyleSheets = [sheet];
        return;
      } catch (e) {
        /* fall through to a <style> element */
      }
    }
    root.appendChild(h("style", {}, [CSS]));
  }

  function fetchRecommendation(api, id) {
    var url = api + "/api/v1/recommendations/" + encodeURIComponent(id) + "?expand=evidence";
    if (!requests[url]) {
      var controller = typeof AbortController === "function" ? new AbortController() : null;
      var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
      requests[url] = fetch(url, {
        mode: "cors",
        credentials: "omit",
        referrerPolicy: "no-referrer",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        if (timer) clearTimeout(timer);
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
    }
    return requests[url];
  }

  function formatDate(value, lang) {
    try {
      var parts = value.split("-").map(Number);
      return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeZone: "UTC" })
        .format(new Date(Date.UTC(parts[0], parts[1] - 1, parts[2])));
    } catch (e) {
      return value;
    }
  }

  function evidenceLine(ev, note, lang, t) {
    // the counts in words with the participants' scope, generated by the API ("863 deltakere i de 11
    // kontrollerte studiene"), never the bare numbers side by side
    var counts = ev.counts_text && (ev.counts_text[lang] || ev.counts_text.nb);
    return h("li", {}, [
      h("span", { lang: ev.lang || "nb" }, [ev.title]),
      counts ? ": " + counts : "",
      h("span", { class: "tag" }, [note]),
      ev.superseded_by ? h("span", { class: "tag warn" }, [t.superseded]) : null
    ]);
  }

  function card(rec, options) {
    var t = TEXT[options.lang];
    var level = options.level;
    var children = [
      h("p", { class: "kicker" }, [t.kicker + " " + (rec.attribution || "Helsedirektoratet")]),
      h("h" + level, { class: "title", id: "t", lang: rec.lang }, [rec.title])
    ];
    var wording = rec.wording || {};
    if (wording.text) {
      children.push(h("figure", {}, [
        h("blockquote", { lang: rec.lang, cite: safeHref(wording.source) }, [h("p", {}, [wording.text])]),
        h("figcaption", {}, [t.quoted + " ", h("cite", {}, [link(wording.source, rec.attribution || "Helsedirektoratet")])])
      ]));
    }
    var strength = rec.strength || {};
    var grade = rec.grade || {};
    // The source's own words and grading term are in the recommendation's language, not the card's:
    // marked with its lang (WCAG 3.1.2), so that a screen reader reads "Konsensus" as Norwegian.
    var sourceLang = rec.lang || "nb";
    var strengthText = [t[strength.value] || t.unknown];
    if (t[strength.basis]) {
      strengthText.push(" (" + t[strength.basis]);
      if (strength.source_words) {
        strengthText.push(": " + t.quote[0], h("span", { lang: sourceLang }, [strength.source_words]), t.quote[1]);
      }
      strengthText.push(")");
    }
    var gradeText = [grade.term ? h("span", { lang: sourceLang }, [grade.term]) : t.unknown,
      (grade.level ? ", " + grade.level : "") + (grade.system ? " (" + grade.system + ")" : "")];
    var facts = [h("dt", {}, [t.strength]), h("dd", {}, strengthText), h("dt", {}, [t.grade]), h("dd", {}, gradeText)];
    if (rec.last_professional_change) {
      facts.push(h("dt", {}, [t.changed]), h("dd", {}, [
        h("time", { datetime: rec.last_professional_change }, [formatDate(rec.last_professional_change, options.lang)])
      ]));
    }
    children.push(h("dl", {}, facts));
    var expanded = rec.expanded || {};
    var lines = [];
    (expanded.newer_evidence || []).forEach(function (ev) { lines.push(evidenceLine(ev, t.newer, options.lang, t)); });
    (expanded.evidence_considered || []).forEach(function (ev) { lines.push(evidenceLine(ev, t.basis, options.lang, t)); });
    if (lines.length) {
      children.push(h("p", { class: "h" }, [t.research]), h("ul", {}, lines));
    }
    var plain = options.lang === "en" ? rec.summary_en : rec.summary_nb;
    if (plain) {
      children.push(h("p", { class: "summary", lang: options.lang === "en" ? "en" : "nb" }, [plain]));
    }
    children.push(aboutLink(options));
    children.push(
      h("p", { class: "source" }, [
        t.source + ": ", link(rec.url || wording.source, rec.attribution || "Helsedirektoratet"), ", ",
        link(NLOD, "NLOD", { rel: "license noopener" }), ". " + t.compiled + " ",
        link(options.page, "mtkb"), " (", link(CC_BY, "CC BY 4.0", { rel: "license noopener" }), ")."
      ]),
      h("p", { class: "quiet" }, [link(options.page, t.more, { class: "more" })])
    );
    return h("article", { class: "card", lang: options.lang, "aria-labelledby": "t" }, children);
  }

  function quietCard(options, message) {
    var t = TEXT[options.lang];
    return h("div", { class: "card", lang: options.lang }, [
      message ? h("p", { class: "quiet" }, [message]) : null,
      h("p", { class: "quiet" }, [link(options.page, t.open, { class: "more" })])
    ]);
  }

  function mount(element) {
    if (mounted ? mounted.has(element) : element.getAttribute("data-mtkb-mounted")) return;
    if (mounted) mounted.add(element); else element.setAttribute("data-mtkb-mounted", "1");
    var id = (element.getAttribute("data-mtkb-recommendation") || "").trim();
    if (!ID.test(id)) return;
    var lang = (element.getAttribute("data-lang") || "nb").toLowerCase();
    // own keys only: "__proto__", "constructor" ... are properties of every object, not languages
    if (!Object.prototype.hasOwnProperty.call(TEXT, lang)) lang = "nb";
    var level = parseInt(element.getAttribute("data-heading-level") || "2", 10);
    if (!(level >= 2 && level <= 6)) level = 2;
    var api = element.getAttribute("data-mtkb-api") ||
      (element.tagName === "SCRIPT" && element.src ? new URL(element.src, document.baseURI).origin : DEFAULT_API);
    if (!api || !safeHref(api)) return;
    api = new URL(api).origin;
    var options = {
      lang: lang,
      level: level,
      page: api + "/recommendations/" + encodeURIComponent(id) + (lang === "en" ? "?lang=en" : "")
    };

    var host = element;
    if (element.tagName === "SCRIPT") {
      host = document.createElement("div");
      host.setAttribute("class", "mtkb-card");
      element.parentNode.insertBefore(host, element.nextSibling);
    }
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    styleShadow(root);
    var placeholder = quietCard(options, TEXT[lang].loading);
    placeholder.setAttribute("aria-busy", "true");
    root.appendChild(placeholder);

    fetchRecommendation(api, id).then(function (rec) {
      root.replaceChild(card(rec, options), placeholder);
    }).catch(function () {
      root.replaceChild(quietCard(options, TEXT[lang].failed), placeholder);
    });
  }

  function scan() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-mtkb-recommendation]"), function (element) {
      try {
        mount(element);
      } catch (e) {
        /* one broken embed must not stop the others */
      }
    });
  }

  // ---------------------------------------------------------------- second mode: where music therapy is offered

  var SERVICE_TEXT = {
    nb: {
      title: "Her tilbys musikkterapi", none: "Vi kjenner ikke til noe tilbud om musikkterapi her ennå.",
      loading: "Henter tilbudene …", failed: "Tilbudene kunne ikke hentes akkurat nå.",
      open: "Se tilbudene hos mtkb", about: "Hva er musikkterapi?", since: "siden",
      page: "Les mer", ask: "Adresse og åpningstider står ikke her. Spør fastlegen, NAV-veilederen eller behandleren din.",
      compiled: "Sammenstilt av", sources: "med offentlige kilder"
    },
    nn: {
      title: "Her blir musikkterapi tilbode", none: "Vi kjenner ikkje til noko tilbod om musikkterapi her enno.",
      loading: "Hentar tilboda …", failed: "Tilboda kunne ikkje hentast akkurat no.",
      open: "Sjå tilboda hos mtkb", about: "Kva er musikkterapi?", since: "sidan",
      page: "Les meir", ask: "Adresse og opningstider står ikkje her. Spør fastlegen, NAV-rettleiaren eller behandlaren din.",
      compiled: "Samanstilt av", sources: "med offentlege kjelder"
    },
    en: {
      title: "Where music therapy is offered", none: "We know of no music therapy service here yet.",
      loading: "Loading the services …", failed: "The services could not be loaded right now.",
      open: "See the services at mtkb", about: "What is music therapy? (in Norwegian)", since: "since",
      page: "Read more", ask: "Addresses and opening hours are not given here. Ask your GP, NAV counsellor or therapist.",
      compiled: "Compiled by", sources: "from public sources"
    }
  };
  var SERVICE_CSS = [
    ".services{list-style:none;padding:0;margin:0 0 .9em}",
    ".services li{margin:0 0 .7em;padding:0 0 .6em;border-bottom:1px solid #e1e6eb}",
    ".services li:last-child{border-bottom:0}",
    ".service-name{font-weight:700}",
    ".service-meta{display:block;font-size:.9em;color:#46505c}",
    ".about{margin:0 0 .6em}"
  ].join("");
  CSS += SERVICE_CSS;

  function aboutLink(options) {
    var t = SERVICE_TEXT[options.lang] || SERVICE_TEXT.nb;
    var api = options.api || new URL(options.page).origin;
    return h("p", { class: "about" }, [
      link(api + "/facts/hva-er-musikkterapi" + (options.lang === "en" ? "?lang=en" : ""), t.about, { class: "about-link" })
    ]);
  }

  function fetchServices(api, filter) {
    var url = api + "/api/v1/services?per_page=100&" + filter.name + "=" + encodeURIComponent(filter.value);
    if (!requests[url]) {
      var controller = typeof AbortController === "function" ? new AbortController() : null;
      var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
      requests[url] = fetch(url, {
        mode: "cors",
        credentials: "omit",
        referrerPolicy: "no-referrer",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        if (timer) clearTimeout(timer);
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
    }
    return requests[url];
  }

  function serviceItem(service, options) {
    var t = SERVICE_TEXT[options.lang];
    var meta = [service.organisation, service.municipality].filter(Boolean);
    if (service.settings && service.settings.length) meta.push(service.settings.join(", "));
    if (typeof service.since === "number") meta.push(t.since + " " + service.since);
    return h("li", { "data-service": service.id }, [
      link(options.api + "/services/" + encodeURIComponent(service.id) + (options.lang === "en" ? "?lang=en" : ""),
        service.title, { class: "service-name", lang: service.lang || "nb" }),
      h("span", { class: "service-meta", lang: "nb" }, [meta.join(" · ")])
    ]);
  }

  function servicesCard(body, options) {
    var t = SERVICE_TEXT[options.lang];
    var items = (body.items || []).map(function (service) { return serviceItem(service, options); });
    return h("article", { class: "card", lang: options.lang, "aria-labelledby": "s" }, [
      h("h" + options.level, { class: "title", id: "s" }, [t.title + " \u2013 ", h("span", { lang: "nb" }, [options.filter.value])]),
      aboutLink(options),
      items.length ? h("ul", { class: "services" }, items) : h("p", { class: "quiet" }, [t.none]),
      h("p", { class: "source" }, [
        t.ask, " ", t.compiled + " ", link(options.page, "mtkb"), " " + t.sources + " (",
        link(CC_BY, "CC BY 4.0", { rel: "license noopener" }), ")."
      ])
    ]);
  }

  function mountServices(element) {
    if (mounted ? mounted.has(element) : element.getAttribute("data-mtkb-mounted")) return;
    var county = (element.getAttribute("data-county") || "").trim();
    var municipality = (element.getAttribute("data-municipality") || "").trim();
    var filter = county ? { name: "county", value: county } : { name: "municipality", value: municipality };
    if (!filter.value || filter.value.length > 100) return;
    if (mounted) mounted.add(element); else element.setAttribute("data-mtkb-mounted", "1");
    var lang = (element.getAttribute("data-lang") || "nb").toLowerCase();
    if (!SERVICE_TEXT[lang]) lang = "nb";
    var level = parseInt(element.getAttribute("data-heading-level") || "2", 10);
    if (!(level >= 2 && level <= 6)) level = 2;
    var api = element.getAttribute("data-mtkb-api") ||
      (element.tagName === "SCRIPT" && element.src ? new URL(element.src, document.baseURI).origin : DEFAULT_API);
    if (!api || !safeHref(api)) return;
    api = new URL(api).origin;
    var options = {
      lang: lang, level: level, api: api, filter: filter,
      // the search page lists them too: `county:` is a search field; a municipality is searched as a phrase
      page: api + "/?type=service&q=" + encodeURIComponent((county ? "county:" : "") + '"' + filter.value.replace(/"/g, "") + '"') +
        (lang === "en" ? "&lang=en" : "")
    };
    var host = element;
    if (element.tagName === "SCRIPT") {
      host = document.createElement("div");
      host.setAttribute("class", "mtkb-services");
      element.parentNode.insertBefore(host, element.nextSibling);
    }
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    styleShadow(root);
    var t = SERVICE_TEXT[lang];
    var placeholder = h("div", { class: "card", lang: lang, "aria-busy": "true" }, [h("p", { class: "quiet" }, [t.loading])]);
    root.appendChild(placeholder);
    fetchServices(api, filter).then(function (body) {
      root.replaceChild(servicesCard(body, options), placeholder);
    }).catch(function () {
      root.replaceChild(h("div", { class: "card", lang: lang }, [
        h("p", { class: "quiet" }, [t.failed]), aboutLink(options),
        h("p", { class: "quiet" }, [link(options.page, t.open, { class: "more" })])
      ]), placeholder);
    });
  }

  function scanServices() {
    var selector = "[data-mtkb-services], script[data-county], script[data-municipality]";
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (element) {
      try {
        if (!element.hasAttribute("data-mtkb-recommendation")) mountServices(element);
      } catch (e) {
        /* one broken embed must not stop the others */
      }
    });
  }

  function scanAll() {
    scan();
    scanServices();
  }

  window.mtkbWidget = { version: 1, scan: scanAll };
  scanAll();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scanAll);
})();
