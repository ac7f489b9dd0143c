// lint.mjs - the page never parses text as markup: no markup sink in web/src, Leaflet given elements, not strings,
// and no inline script, style or handler in its HTML. Checks itself first on snippets it must catch and must pass.
// usage: node web/tests/lint.mjs
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const src = join(dirname(dirname(fileURLToPath(import.meta.url))), "src");

// Sinks that parse a string as markup or code. Leaflet's tooltip, popup and attribution setters read a string as
// markup, so they must be handed textElement(...), the page's element of text; its divIcon, tooltip and popup
// constructors and layers' attribution option take markup too, and the page has no use for them.
const scriptRules = [
  [/\.(innerHTML|outerHTML)\b/, "markup written into the page (use textContent or elements)"],
  [/\binsertAdjacentHTML\b|\bcreateContextualFragment\b|\bDOMParser\b|\bparseFromString\b|\bsrcdoc\b/, "markup parsed from a string"],
  [/\bdocument\s*\.\s*write(ln)?\b/, "document.write"],
  [/\beval\s*\(|\bnew\s+Function\b|\b(setTimeout|setInterval)\s*\(\s*["'`]/, "a string run as code"],
  [/javascript:/i, "a javascript: URL"],
  [/\.(bindTooltip|bindPopup|setTooltipContent|setPopupContent|setContent)\s*\(\s*(?![\s]|textElement\s*\()/,
   "a Leaflet tooltip or popup given something other than textElement(...): a string is read as markup"],
  [/\.(setPrefix|addAttribution)\s*\(|\battribution\s*:/, "a Leaflet attribution, which is markup"],
  [/\bL\s*\.\s*(divIcon|tooltip|popup)\s*\(/, "a Leaflet constructor that takes markup"],
];
const htmlRules = [
  [/<script\b(?![^>]*\bsrc\s*=)[^>]*>/i, "an inline script"],
  [/<style\b/i, "an inline style sheet"],
  [/\sstyle\s*=/i, "an inline style attribute"],
  [/\son[a-z]+\s*=/i, "an inline event handler"],
  [/javascript:/i, "a javascript: URL"],
];

function findings(text, rules) {
  const out = [];
  text.split("\n").forEach((line, i) => {
    for (const [re, why] of rules) if (re.test(line)) out.push(`${i + 1}: ${why}: ${line.trim()}`);
  });
  return out;
}

let failed = 0, passed = 0;
const check = (what, ok, detail = "") => { if (ok) passed++; else { failed++; console.log(`FAIL ${what}${detail ? "\n  " + detail : ""}`); } };

// The rules themselves: each of these must be caught, each of those must pass.
const mustCatch = [
  "row.innerHTML = `<td>${t.name}</td>`;", "li.outerHTML = x;", "ul.insertAdjacentHTML('beforeend', s);",
  "document.write(s);", "document . writeln(s)", "new DOMParser().parseFromString(s, 'text/html')", "eval(code)",
  "new Function('return 1')", "setTimeout('go()', 10)", "a.href = 'javascript:alert(1)'",
  "shape.bindTooltip(`${kind} ${o.id} (${o.owner})`)", "m.bindPopup(name)", "m.bindTooltip(\"<b>x</b>\")",
  "t.setTooltipContent(s)", "p.setContent(html)", "map.attributionControl.setPrefix('x')", "{ attribution: name }",
  "L.divIcon({ html: s })", "L.tooltip().setLatLng(p)", "frame.srcdoc = s",
];
for (const s of mustCatch) check(`the lint catches ${s}`, findings(s, scriptRules).length > 0);
const mustPass = ["li.textContent = text;", "shape.bindTooltip(textElement(describe(o)))", ".bindTooltip( textElement(`${a} m`))",
                  "ul.replaceChildren();", "td.textContent = name;", "setTimeout(go, 10)", "el.setAttribute('data-id', o.id)"];
for (const s of mustPass) check(`the lint lets ${s} pass`, findings(s, scriptRules).length === 0, findings(s, scriptRules).join("; "));
for (const s of ["<script>alert(1)</script>", "<div style=\"color:red\">", "<style>p{}</style>", "<img src=x onerror=alert(1)>",
                 "<a href=\"javascript:go()\">"])
  check(`the lint catches ${s} in HTML`, findings(s, htmlRules).length > 0);
check("the lint lets <script src=\"app.js\"></script> pass", findings("<script src=\"app.js\"></script>", htmlRules).length === 0);

// The page's sources.
const files = readdirSync(src);
check("web/src has the page's scripts", files.includes("app.js") && files.includes("policy.js"), files.join(", "));
for (const f of files) {
  const text = readFileSync(join(src, f), "utf8");
  const rules = f.endsWith(".js") ? scriptRules : f.endsWith(".html") ? htmlRules : null;
  if (!rules) continue;
  const found = findings(text, rules);
  check(`web/src/${f} writes no markup`, found.length === 0, found.join("\n  "));
}
const html = readFileSync(join(src, "index.html"), "utf8");
const scripts = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]);
check("index.html loads policy.js before any other script", scripts[0] === "policy.js", scripts.join(", "));
console.log(`web lint: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
