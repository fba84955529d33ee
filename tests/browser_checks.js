// What the accessibility browser tests (tests/test_browser_a11y.py) measure in the page, one arrow function
// per check, separated by a line "//// name". Each walks the document and every open shadow root.

//// overflow
// WCAG 1.4.10 (reflow): every text that is shown lies inside the viewport and inside any box that clips it
// (the widget's host clips with `contain: content`); nothing scrolls sideways but the page's data tables,
// which may, as keyboard-focusable named regions. Returns what is wrong, in words.
() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const problems = [];
  if (root.scrollWidth > width) problems.push(`the page is ${root.scrollWidth}px wide in a ${width}px viewport`);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].map((c) => "." + c).join("");
  const up = (el) => el.parentElement || el.getRootNode().host || null;
  const scrolls = (s) => s.overflowX === "auto" || s.overflowX === "scroll";
  const clips = (s) => s.overflowX === "hidden" || s.overflowX === "clip" || /paint|content|strict/.test(s.contain);
  const page = (el) => el === root || el === document.body;
  const walk = (node) => {
    const it = document.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let n = it.nextNode(); n; n = it.nextNode()) {
      if (n.nodeType === Node.ELEMENT_NODE) {
        if (n.shadowRoot) walk(n.shadowRoot);
        if (!page(n) && scrolls(getComputedStyle(n)) && n.scrollWidth > n.clientWidth + 1 &&
            !n.matches('[role="region"][tabindex="0"]:has(> table)')) {
          problems.push(`${name(n)} scrolls sideways (${n.scrollWidth}px in ${n.clientWidth}px)`);
        }
        continue;
      }
      const text = n.data.trim();
      if (!text) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const rect = range.getBoundingClientRect();
      if (!rect.width) continue;
      let judged = false;
      for (let a = n.parentElement; a && !judged; a = up(a)) {
        const style = getComputedStyle(a);
        if (style.position === "absolute" && style.clip !== "auto") judged = true; // visually hidden
        else if (scrolls(style) && !page(a)) judged = true; // its box was judged as a scroller above
        else if (clips(style)) {
          const box = a.getBoundingClientRect();
          if (rect.right > box.right + 1 || rect.left < box.left - 1) {
            problems.push(`"${text.slice(0, 40)}" is cut off at the edge of ${name(a)}`);
            judged = true;
          }
        }
      }
      if (!judged && (rect.right > width + 1 || rect.left < -1)) {
        problems.push(`"${text.slice(0, 40)}" in ${name(n.parentElement)} reaches ${Math.round(rect.right)}px`);
      }
    }
  };
  walk(document.body);
  for (const dialog of document.querySelectorAll("dialog[open]")) {
    const box = dialog.getBoundingClientRect();
    if (box.left < 0 || box.right > width) problems.push(`the dialog spans ${box.left}..${box.right}px`);
  }
  return problems;
}

//// texts
// Every shown text with the language it is marked as (the nearest lang attribute, across shadow roots).
() => {
  const out = [];
  const up = (el) => el.parentElement || el.getRootNode().host || null;
  const langOf = (el) => {
    for (let a = el; a; a = up(a)) if (a.hasAttribute("lang")) return a.getAttribute("lang");
    return "";
  };
  const walk = (node) => {
    const it = document.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let n = it.nextNode(); n; n = it.nextNode()) {
      if (n.nodeType === Node.ELEMENT_NODE) {
        if (n.shadowRoot) walk(n.shadowRoot);
        continue;
      }
      const parent = n.parentElement;
      if (!parent || parent.closest("script, style, code, pre") || !n.data.trim()) continue;
      out.push([n.data, langOf(parent), parent.tagName.toLowerCase()]);
    }
  };
  walk(document.body);
  return out;
}

//// headings
// The text of every heading that the page itself shows (not those of embedded widgets, nor of a closed dialog).
() => [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
  .filter((h) => h.checkVisibility())
  .map((h) => h.textContent.replace(/\s+/g, " ").trim())

//// landmarks
// Each landmark and named region as "role: name" (sections named by their heading are regions too).
() => [...document.querySelectorAll("section[aria-labelledby], section[aria-label], [role=region], nav, aside, form[aria-label], [role=search]")]
  .filter((el) => el.checkVisibility())
  .map((el) => {
    const by = el.getAttribute("aria-labelledby");
    const name = by ? by.split(/\s+/).map((id) => document.getElementById(id)?.textContent || "").join(" ")
      : el.getAttribute("aria-label") || "";
    const role = el.getAttribute("role") || { SECTION: "region", NAV: "navigation", ASIDE: "complementary", FORM: "form" }[el.tagName];
    return `${role}: ${name.replace(/\s+/g, " ").trim()}`;
  })

//// focus
// How an element (focus it first) shows its focus: each part of the indicator (outline, border sides, shadow ring)
// with the contrast of its colour against what it touches (the element's own background inside, the
// surrounding background outside), and whether the part differs from the unfocused look `before`.
(el, before) => {
  const parse = (c) => {
    const p = (c.match(/[\d.]+/g) || ["0", "0", "0", "0"]).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (x, y) => {
    const [a, b] = [lum(parse(x)), lum(parse(y))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const backdrop = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (parse(c).a > 0) return c;
    }
    return "rgb(255, 255, 255)";
  };
  const s = getComputedStyle(el);
  const inside = parse(s.backgroundColor).a > 0 ? s.backgroundColor : backdrop(el.parentElement);
  const outside = backdrop(el.parentElement);
  const parts = [];
  if (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) {
    const against = parseFloat(s.outlineOffset) > 0 ? outside : inside;
    parts.push({ part: "outline", color: s.outlineColor, width: parseFloat(s.outlineWidth),
      contrast: Math.min(ratio(s.outlineColor, against), ratio(s.outlineColor, outside)) });
  }
  for (const side of ["Top", "Right", "Bottom", "Left"]) {
    const color = s[`border${side}Color`];
    const width = parseFloat(s[`border${side}Width`]);
    if (s[`border${side}Style`] !== "none" && width >= 2) {
      parts.push({ part: `border-${side.toLowerCase()}`, color, width,
        contrast: Math.min(ratio(color, inside), ratio(color, outside)) });
    }
  }
  const ring = s.boxShadow.match(/rgba?\([^)]*\)/);
  if (ring) parts.push({ part: "shadow", color: ring[0], width: 3, contrast: ratio(ring[0], outside) });
  const look = { background: s.backgroundColor, parts };
  if (before) {
    for (const p of parts) {
      const old = before.parts.find((q) => q.part === p.part);
      p.changed = !old || old.color !== p.color || old.width !== p.width;
    }
  }
  return look;
}
