/* mtkb pages: what needs a browser. The pages work without this script; it adds citing (a dialog per
 * reference, "cite this recommendation"), copying to the clipboard, references formatted in a chosen
 * style, and export of selected references, all through the public JSON API on this origin.
 *
 * Safety: text from the API goes in with textContent. Citation HTML (italics and the like) is parsed
 * into an inert document and copied over tag by tag from a short allowlist (`sanitise`); no string is
 * ever assigned as markup. The page's CSP enforces Trusted Types, so any other HTML sink would fail.
 */
(function () {
  "use strict";

  var dialog = document.getElementById("cite-dialog");
  var messages = dialog ? dialog.dataset : {};
  var SELECTION_KEY = "mtkb-selection";
  var MAX_EXPORT = 100;

  document.querySelectorAll("[data-js-only]").forEach(function (node) { node.hidden = false; });
  if (window.matchMedia && window.matchMedia("(max-width: 52rem)").matches) {
    // On a phone the filters would push the results out of sight: fold them (open without script).
    document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) { d.open = false; });
  }

  // ---- sanitising citation HTML ---------------------------------------------------------------------

  var policy = window.trustedTypes
    ? window.trustedTypes.createPolicy("mtkb-sanitise", { createHTML: function (s) { return s; } })
    : null;
  var ALLOWED = { I: "i", B: "b", EM: "em", STRONG: "strong", SUP: "sup", SUB: "sub", SMALL: "small", SPAN: "span", DIV: "span" };
  var DROPPED = /^(SCRIPT|STYLE|TEMPLATE|IFRAME|OBJECT|EMBED|NOSCRIPT|SVG|MATH|TITLE|HEAD)$/;
  var URL_IN_TEXT = /(https?:\/\/[^\s<>"]*[^\s<>".,;:)\]])/;

  function httpUrl(value) {
    try {
      var url = new URL(value, window.location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function appendText(text, target, inLink) {
    // Plain text, with http(s) addresses made into links (unless already inside one).
    if (inLink) {
      target.appendChild(document.createTextNode(text));
      return;
    }
    text.split(URL_IN_TEXT).forEach(function (part, index) {
      if (!part) return;
      target.appendChild(index % 2 ? link(part, part) : document.createTextNode(part));
    });
  }

  function copyAllowed(from, to, inLink) {
    from.childNodes.forEach(function (node) {
      if (node.nodeType === Node.TEXT_NODE) {
        appendText(node.data, to, inLink);
      } else if (node.nodeType === Node.ELEMENT_NODE && !DROPPED.test(node.tagName) &&
                 !node.classList.contains("csl-left-margin")) {
        // (a numeric style's own "1." is dropped: the page's list numbers its entries in the same order)
        var tag = ALLOWED[node.tagName];
        var href = node.tagName === "A" && !inLink ? httpUrl(node.getAttribute("href") || "") : null;
        if (tag || href) {
          var element = document.createElement(href ? "a" : tag);
          if (href) element.href = href; // the only attribute ever copied, and only an http(s) URL
          copyAllowed(node, element, inLink || Boolean(href));
          to.appendChild(element);
        } else {
          copyAllowed(node, to, inLink); // unknown tag: keep its text, drop the tag and every attribute
        }
      }
    });
  }

  /** A fragment holding `html` reduced to text, a few inline tags without attributes, and http(s) links. */
  function sanitise(html) {
    var fragment = document.createDocumentFragment();
    if (!html) return fragment;
    var inert = new DOMParser().parseFromString(policy ? policy.createHTML(String(html)) : String(html), "text/html");
    copyAllowed(inert.body, fragment);
    return fragment;
  }

  function fill(target, value, format) {
    target.replaceChildren(format === "text" ? document.createTextNode(value || "") : sanitise(value));
  }

  // ---- API ------------------------------------------------------------------------------------------

  function getJSON(url, options) {
    var init = Object.assign({ headers: { Accept: "application/json" }, credentials: "same-origin" }, options || {});
    return fetch(url, init).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function query(params) {
    return Object.keys(params).filter(function (k) { return params[k]; }).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
    }).join("&");
  }

  // ---- clipboard ------------------------------------------------------------------------------------

  function copyFrom(element, status) {
    var text = element.textContent.replace(/\s+/g, " ").trim();
    var done = function () { status.textContent = messages.copied || "Copied."; };
    var fail = function () {
      var range = document.createRange();
      range.selectNodeContents(element);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      status.textContent = messages.copyFailed || "Select the text and copy it.";
    };
    if (!navigator.clipboard) return fail();
    var write = navigator.clipboard.writeText(text);
    if (window.ClipboardItem && navigator.clipboard.write && element.querySelector("i, em, b, strong")) {
      // Rich text too, so italics survive a paste into a word processor.
      var html = new XMLSerializer().serializeToString(element);
      write = navigator.clipboard.write([new ClipboardItem({
        "text/plain": new Blob([text], { type: "text/plain" }),
        "text/html": new Blob([html], { type: "text/html" })
      })]).catch(function () { return navigator.clipboard.writeText(text); });
    }
    write.then(done, fail);
  }

  document.querySelectorAll("[data-copy-from]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy-from"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (source && status) button.addEventListener("click", function () { copyFrom(source, status); });
  });

  // ---- the cite dialog ------------------------------------------------------------------------------

  if (dialog && typeof dialog.showModal === "function") {
    var dialogStyle = dialog.querySelector("[data-cite-style]");
    var dialogLocale = dialog.querySelector("[data-cite-locale]");
    var dialogRef = dialog.querySelector("[data-cite-ref]");
    var bibliography = dialog.querySelector("[data-cite-bibliography]");
    var intext = dialog.querySelector("[data-cite-intext]");
    var dialogStatus = dialog.querySelector("[data-cite-status]");
    var opener = null;
    var serial = 0;

    var loadCitation = function () {
      var mine = ++serial;
      var key = dialog.dataset.key;
      dialogStatus.textContent = messages.loading || "";
      bibliography.replaceChildren();
      intext.replaceChildren();
      var url = "/api/v1/references/" + encodeURIComponent(key) + "/citation?" +
        query({ style: dialogStyle.value, locale: dialogLocale.value, format: "html" });
      getJSON(url).then(function (data) {
        if (mine !== serial) return;
        fill(bibliography, data.bibliography, data.format);
        fill(intext, data.intext, data.format);
        // An incomplete reference (fields no public record confirms) is said so before it is copied.
        dialogStatus.textContent = (data.warnings || []).map(function (w) { return w.message; }).join("; ");
      }).catch(function () {
        if (mine !== serial) return;
        bibliography.textContent = dialog.dataset.title || key;
        dialogStatus.textContent = messages.unavailable || "";
      });
    };

    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-cite-key]") : null;
      if (!button) return;
      opener = button;
      dialog.dataset.key = button.getAttribute("data-cite-key");
      dialog.dataset.title = button.getAttribute("data-cite-title") || "";
      dialogRef.textContent = dialog.dataset.title;
      // The reference's title and its formatted entry are in the reference's language (WCAG 3.1.2).
      var refLang = button.getAttribute("data-cite-lang");
      [dialogRef, bibliography, intext].forEach(function (el) {
        if (refLang) el.setAttribute("lang", refLang); else el.removeAttribute("lang");
      });
      dialog.showModal();
      loadCitation();
    });
    dialogStyle.addEventListener("change", loadCitation);
    dialogLocale.addEventListener("change", loadCitation);
    dialog.querySelector("[data-cite-copy]").addEventListener("click", function () {
      copyFrom(bibliography, dialogStatus);
    });
    dialog.addEventListener("close", function () {
      serial++;
      if (opener) opener.focus();
    });
  }

  // ---- references formatted in a chosen style (item pages) -----------------------------------------

  function rememberInURL(style, locale) {
    var params = new URLSearchParams(window.location.search);
    params.set("style", style);
    params.set("locale", locale);
    history.replaceState(null, "", window.location.pathname + "?" + params.toString() + window.location.hash);
  }

  document.querySelectorAll("[data-bibliography]").forEach(function (section) {
    var form = section.querySelector("[data-bibliography-form]");
    var status = section.querySelector("[data-bibliography-status]");
    var entries = section.querySelectorAll("[data-ref-key]");
    if (!form || !entries.length) return;
    var style = form.querySelector("[data-style]");
    var locale = form.querySelector("[data-locale]");
    var serial = 0;
    var update = function () {
      var mine = ++serial;
      var keys = Array.prototype.map.call(entries, function (li) { return li.getAttribute("data-ref-key"); });
      getJSON("/api/v1/bibliography", {
        method: "POST",
        headers: { Accept: "application/json", "Content-Type": "application/json" },
        body: JSON.stringify({ keys: keys, style: style.value, locale: locale.value, format: "html" })
      }).then(function (data) {
        if (mine !== serial) return;
        var byKey = {};
        (data.entries || []).forEach(function (entry) { byKey[entry.key] = entry; });
        // The list as its style orders it (sorted, or numbered in citation order), numbered only
        // when the style numbers its entries.
        var list = section.querySelector("[data-reference-list]");
        if (list) {
          var lis = {};
          entries.forEach(function (li) { lis[li.getAttribute("data-ref-key")] = li; });
          (data.entries || []).forEach(function (entry) { if (lis[entry.key]) list.appendChild(lis[entry.key]); });
          var labelled = (data.entries || []).some(function (entry) { return entry.bibliography.indexOf("csl-left-margin") !== -1; });
          list.classList.toggle("unnumbered", !labelled);
        }
        entries.forEach(function (li) {
          var entry = byKey[li.getAttribute("data-ref-key")];
          if (!entry) return;
          var target = li.querySelector("[data-ref-text]");
          fill(target, entry.bibliography, data.format);
          var own = li.querySelector("[data-ref-link]");
          if (own) own.hidden = target.textContent.indexOf(own.textContent.replace(/^https:\/\/doi\.org\//, "")) !== -1;
        });
        status.textContent = "";
        rememberInURL(style.value, locale.value);
      }).catch(function () {
        if (mine === serial) status.textContent = messages.unavailable || "";
      });
    };
    // The page comes formatted in the style in its address; a change is fetched in place (and the
    // address updated), the form's own submit being the way without this script.
    style.addEventListener("change", update);
    locale.addEventListener("change", update);
    form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
    if (section.getAttribute("data-formatted") !== "1") update(); // the server could not format them
  });

  // ---- cite this recommendation ---------------------------------------------------------------------

  document.querySelectorAll("[data-cite-item]").forEach(function (section) {
    var style = section.querySelector("[data-style]");
    var locale = section.querySelector("[data-locale]");
    var accessed = section.querySelector("[data-accessed]");
    var output = section.querySelector("[data-item-citation]");
    var status = section.querySelector("[data-item-status]");
    var copy = section.querySelector("[data-item-copy]");
    var fallback = output.textContent;
    var serial = 0;
    var update = function () {
      var mine = ++serial;
      var url = section.getAttribute("data-cite-item") + "?" +
        query({ style: style.value, locale: locale.value, accessed: accessed.value });
      getJSON(url).then(function (data) {
        if (mine !== serial) return;
        fill(output, data.citation, data.format || "text");
        output.lang = (data.locale || locale.value).slice(0, 2);
        status.textContent = "";
      }).catch(function () {
        if (mine !== serial) return;
        output.textContent = fallback;
        status.textContent = messages.unavailable || "";
      });
    };
    [style, locale, accessed].forEach(function (input) { input.addEventListener("change", update); });
    copy.addEventListener("click", function () { copyFrom(output, status); });
    if (!fallback.trim()) update(); // the server could not cite it: ask the API
  });

  // ---- selecting references and exporting them (search page) ---------------------------------------

  var bar = document.querySelector("[data-selection]");
  if (bar) {
    var countLabel = bar.querySelector("[data-selection-count]");
    var exportStatus = document.querySelector("[data-export-status]");
    var buttons = bar.querySelectorAll("button");
    var boxes = document.querySelectorAll("[data-select-key]");

    var readSelection = function () {
      try {
        var stored = JSON.parse(window.sessionStorage.getItem(SELECTION_KEY) || "[]");
        return Array.isArray(stored) ? stored.filter(function (k) { return typeof k === "string"; }) : [];
      } catch (e) {
        return [];
      }
    };
    var selection = readSelection();
    var save = function () {
      try {
        window.sessionStorage.setItem(SELECTION_KEY, JSON.stringify(selection));
      } catch (e) { /* private mode: the selection lasts as long as the page */ }
    };
    var render = function () {
      countLabel.textContent = (messages.selected || "{n}").replace("{n}", String(selection.length));
      buttons.forEach(function (button) { button.disabled = selection.length === 0; });
      boxes.forEach(function (box) { box.checked = selection.indexOf(box.getAttribute("data-select-key")) !== -1; });
    };
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        var key = box.getAttribute("data-select-key");
        selection = selection.filter(function (k) { return k !== key; });
        if (box.checked) selection.push(key);
        save();
        render();
      });
    });
    bar.querySelector("[data-selection-clear]").addEventListener("click", function () {
      selection = [];
      save();
      render();
    });
    bar.querySelectorAll("[data-export-format]").forEach(function (button) {
      button.addEventListener("click", function () {
        var format = button.getAttribute("data-export-format");
        var keys = selection.slice(0, MAX_EXPORT);
        exportStatus.textContent = messages.loading || "";
        Promise.all(keys.map(function (key) {
          return fetch("/api/v1/references/" + encodeURIComponent(key) + "?format=" + format).then(function (r) {
            if (!r.ok) throw new Error("HTTP " + r.status);
            return r.text();
          });
        })).then(function (parts) {
          var blob = new Blob([parts.map(function (p) { return p.trim(); }).join("\n\n") + "\n"], {
            type: format === "ris" ? "application/x-research-info-systems" : "application/x-bibtex"
          });
          var a = document.createElement("a");
          a.href = URL.createObjectURL(blob);
          a.download = "mtkb-referanser." + (format === "ris" ? "ris" : "bib");
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
          exportStatus.textContent = "";
        }).catch(function () {
          exportStatus.textContent = messages.exportFailed || "";
        });
      });
    });
    render();
  }
})();
