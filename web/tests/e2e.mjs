// e2e.mjs - the operations picture in headless Chromium: who sees the Russian route, live tracks and alerts, screenshots.
// usage: node web/tests/e2e.mjs BUILD_DIR   (starts deconflictd through scripts/demo.py on a free port)
// Each of the four parties' views is compared with web/tests/reference/PARTY.png (a share of differing pixels at most
// DC_SHOT_TOLERANCE, 0.03 by default: the demo's "now" and its times differ from run to run); DC_UPDATE_REFERENCE=1
// writes the references and docs/screenshots/ anew instead, deliberately.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";
import { chromium } from "playwright-core";

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const build = process.argv[2] || join(root, "build/asan");
let passed = 0, failed = 0;
const check = (what, ok, detail = "") => { if (ok) passed++; else { failed++; console.log(`FAIL ${what} ${detail}`); } };

const port = await new Promise((res) => { const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => res(p)); }); });
const varDir = mkdtempSync(join(tmpdir(), "dc-e2e-"));
execFileSync("python3", [join(root, "scripts/demo.py"), build], { env: { ...process.env, DEMO_PORT: String(port), DEMO_VAR: varDir }, stdio: "ignore" });
const keys = JSON.parse(readFileSync(join(varDir, "keys.json"), "utf8"));
const base = `http://127.0.0.1:${port}`;
const shots = join(root, "build/screenshots");
mkdirSync(shots, { recursive: true });

function blank(png) {
  let idat = Buffer.alloc(0), pos = 8;
  while (pos < png.length) {
    const n = png.readUInt32BE(pos), kind = png.toString("latin1", pos + 4, pos + 8);
    if (kind === "IDAT") idat = Buffer.concat([idat, png.subarray(pos + 8, pos + 8 + n)]);
    pos += 12 + n;
  }
  const raw = inflateSync(idat), seen = new Set();
  for (let i = 1; i < raw.length && i < 4e6; i += 97) seen.add(raw.readUIntBE(i, 3));
  return seen.size < 20;
}

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"] });
// a user's browser is running before the page is opened: one load, not timed, starts its processes
{
  const warm = await browser.newContext();
  await (await warm.newPage()).goto(base + "/", { waitUntil: "load" });
  await warm.close();
}
const sessions = {};
const cspLines = []; // the page's own code, live and replay, must never meet its CSP or Trusted Types
const errors = [];   // no console error, no page error, from any party's page
const parties = ["turkey", "coalition", "russia", "syria"];
for (const party of parties) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const intents = [];
  page.on("response", async (r) => { if (r.url().endsWith("/v1/intents")) intents.push(await r.text()); });
  page.on("pageerror", (e) => errors.push(`${party} page error: ${e.message}`));
  page.on("console", (m) => {
    if (/Content Security Policy|Trusted Type|Refused to/i.test(m.text())) cspLines.push(`${party}: ${m.text()}`);
    if (m.type() === "error") errors.push(`${party} console: ${m.text()}`);
  });
  // each party's page is loaded before any is signed in: on its own machine, a party's page does
  // not share two cores with three other parties' live pages, as it would here
  const start = Date.now();
  await page.goto(base + "/", { waitUntil: "load" });
  const loadMs = Date.now() - start;
  check(`${party}: the page loads in under 1 s (${loadMs} ms)`, loadMs < 1000);
  console.log(`${party}: page loaded in ${loadMs} ms`);
  check(`${party}: the key is not in the URL`, !page.url().includes("dck_"));
  // its base map drawn (after its load) before the next party's page loads beside it
  await page.waitForFunction(() => document.body.dataset.bordersLeftOut !== undefined, null, { timeout: 20000 });
  sessions[party] = { context, page, intents };
}
for (const party of parties) {
  const { page } = sessions[party];
  await page.fill("#key", keys[party]);
  await page.click("#sign-in button");
  await page.waitForSelector("body[data-ready='1']", { timeout: 10000, state: "attached" });
  check(`${party}: the page says who is signed in`, (await page.textContent("#party")).includes(party));
}
await pictures();
// Under its grant the coalition sees the Russian route; Turkey does not: in the page and on the wire.
const seen = async (party) => sessions[party].page.locator("#intents li[data-id='su24-strike-package']").count();
check("the coalition's page lists the Russian route", (await seen("coalition")) === 1);
check("Turkey's page does not", (await seen("turkey")) === 0);
check("the coalition's /v1/intents response carries it", sessions.coalition.intents.some((t) => t.includes("su24-strike-package")));
check("Turkey's /v1/intents responses never do", sessions.turkey.intents.length > 0 && sessions.turkey.intents.every((t) => !t.includes("su24-strike-package")));
check("nothing of it in Turkey's DOM", !(await sessions.turkey.page.content()).includes("su24-strike-package"));

// A track pushed over the API appears on Turkey's map, and its alert in the list, within 2 s.
const now = Date.now();
const at = (ms) => new Date(now + ms).toISOString().replace(/\.\d+Z$/, "Z");
const reports = [
  { aircraft: "TK1", time: at(0), position: "36.50N 38.00E", altitude: 4000, ground_speed: 200, track: 90 },
  { aircraft: "TK2", time: at(0), position: "36.50N 38.25E", altitude: 4000, ground_speed: 200, track: 270 },
];
const pushed = Date.now();
const r = await fetch(base + "/v1/tracks", { method: "POST", body: JSON.stringify(reports),
  headers: { Authorization: "Bearer " + keys.turkey, "Content-Type": "application/json" } });
check("the track is taken", r.status === 200, String(r.status));
const page = sessions.turkey.page;
await page.waitForSelector("#tracks li[data-aircraft='TK1']", { timeout: 2000 }).then(() => check("the track appears within 2 s", true),
  () => check("the track appears within 2 s", false));
await page.waitForSelector("#alerts li[data-level]", { timeout: 2000 }).then(() => check("an alert appears within 2 s", true),
  () => check("an alert appears within 2 s", false));
console.log(`track to alert on screen: ${Date.now() - pushed} ms`);
check("the stream indicator says live", (await page.textContent("#stream")).includes("live"));
// the coalition has the Su-24 rescue's emergency alert (its fire was held), nothing about Turkey's aircraft
check("the coalition is not told of Turkey's aircraft",
  (await sessions.coalition.page.locator("#alerts li:not([data-level='emergency'])").count()) === 0);
check("the coalition's picture shows the rescue above everything else",
  (await sessions.coalition.page.locator("#alerts li[data-level='emergency']").count()) === 1 &&
  (await sessions.coalition.page.locator(".leaflet-emergencies-pane path").count()) >= 1);

// A Turkish aircraft flying an intent and leaving it: the conformance alert is listed too.
const box = ["37.40N 35.90E", "37.40N 36.10E", "37.60N 36.10E", "37.60N 35.90E"];
// (a string body is sent as text/plain unless told otherwise, and the server reads only JSON)
const put = await fetch(base + "/v1/intents/tk-patrol", { method: "PUT",
  headers: { Authorization: "Bearer " + keys.turkey, "Content-Type": "application/json" },
  body: JSON.stringify({ volumes: [{ outline_polygon: { vertices: box }, altitude_lower: 0, altitude_upper: 6000,
    time_start: at(-3600e3), time_end: at(3600e3) }] }) });
check("Turkey's patrol intent is accepted", put.status === 201, String(put.status));
await fetch(base + "/v1/tracks", { method: "POST",
  headers: { Authorization: "Bearer " + keys.turkey, "Content-Type": "application/json" },
  body: JSON.stringify([{ aircraft: "TK3", time: at(0), position: "37.50N 36.30E", altitude: 4000, intent: "tk-patrol" }]) });
await page.waitForSelector("#alerts li[data-level='nonconforming']", { timeout: 2000 }).then(
  async (li) => check("a conformance alert appears within 2 s, naming the intent", (await li.textContent()).includes("tk-patrol")),
  () => check("a conformance alert appears within 2 s, naming the intent", false));

// Replay view: the numbers of `deconflict replay`.
await page.click("#view-replay");
await page.waitForSelector("#replay-table tbody tr", { timeout: 5000 });
const table = await page.textContent("#replay-table");
// the figures as the command line computes them here and now, not copied by hand
const folder = join(root, "examples", "su24-2015");
const measured = JSON.parse(execFileSync(join(build, "deconflict"), ["replay", "--json", "--country", "turkey",
  "--borders", join(root, "build/borders/world.geojson"), "--tracks", join(folder, "track-turkey-account.csv")],
  { encoding: "utf8" })).results[0].crossings[0];
const duration = `${measured.duration_s.toFixed(1)} s`, inside = `${(measured.distance_inside_m / 1000).toFixed(2)} km`;
check(`the replay table shows Turkey's account as \`deconflict replay\` does: ${duration}, ${inside}`,
  table.includes(duration) && table.includes(inside), table);
check("and Russia's never entering", table.includes("never enters"));
await page.fill("#scrub", "500");
for (const [party, s] of Object.entries(sessions)) {
  if (party === "turkey") await s.page.click("#view-live");
  const png = await s.page.screenshot({ path: join(shots, `${party}.png`) });
  check(`${party}: the screenshot is not blank`, !blank(png));
}
await page.click("#view-replay");
const png = await page.screenshot({ path: join(shots, "replay.png") });
check("replay: the screenshot is not blank", !blank(png));
check("no CSP or Trusted Types violation from the page's own code, live or replay", cspLines.length === 0, cspLines.join("\n"));
check("no console error or page error on any party's page", errors.length === 0, errors.join("\n"));
await browser.close();
// the demo's server must stop cleanly: its log's last words, and no sanitizer report
const pid = Number(readFileSync(join(varDir, "deconflictd.pid"), "utf8"));
process.kill(pid, "SIGTERM");
let gone = false;
for (let i = 0; i < 300 && !gone; i++) {
  try { process.kill(pid, 0); await new Promise((res) => setTimeout(res, 100)); } catch { gone = true; }
}
await new Promise((res) => setTimeout(res, 200));
const serverLog = readFileSync(join(varDir, "deconflictd.log"), "utf8");
check("the server stops on SIGTERM", gone);
check("and cleanly, with no sanitizer report", serverLog.includes("deconflictd: stopped") &&
  !/ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer/.test(serverLog), serverLog.slice(-2000));
// pages closing their event streams is how streams end, not an error of the server's (issue 17)
check("closed pages leave no error in the server's log", !/Failed to send|libmicrohttpd:|error/i.test(
  serverLog.split("\n").filter((l) => !/^(GET|POST|PUT|DELETE|HEAD) /.test(l)).join("\n")), serverLog.slice(-1500));
console.log(`screenshots in ${shots}`);
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

// ---- the four parties' pictures as the demo leaves them (before this test's own reports): screenshots compared with
// the committed references, and what an officer must find on them ----
async function pictures() {
  const refDir = join(root, "web/tests/reference"), docDir = join(root, "docs/screenshots");
  const update = process.env.DC_UPDATE_REFERENCE === "1", tolerance = Number(process.env.DC_SHOT_TOLERANCE || 0.03);
  for (const party of parties) {
    const page = sessions[party].page;
    await page.waitForSelector("body[data-borders-left-out]", { state: "attached", timeout: 10000 });
    await page.waitForFunction(() => document.querySelector("#stream").textContent === "alerts: live", null, { timeout: 10000 });
    await page.waitForTimeout(700); // the lists' half-second re-sort and the disclosed aircraft's
    await page.mouse.move(0, 790);  // no hover tip, no cursor coordinates
    const file = join(shots, `view-${party}.png`), png = await page.screenshot({ path: file });
    const ref = join(refDir, `${party}.png`);
    if (update) {
      mkdirSync(refDir, { recursive: true }); mkdirSync(docDir, { recursive: true });
      copyFileSync(file, ref); copyFileSync(file, join(docDir, `${party}.png`));
      console.log(`${party}: reference and docs/screenshots/${party}.png written`);
    } else if (!existsSync(ref)) {
      check(`${party}: a reference screenshot exists (${ref}; DC_UPDATE_REFERENCE=1 writes it)`, false);
    } else {
      const ratio = await differing(page, png, readFileSync(ref), join(shots, `diff-${party}.png`));
      console.log(`${party}: ${(100 * ratio).toFixed(2)} % of pixels differ from the reference`);
      check(`${party}: the view matches web/tests/reference/${party}.png within ${100 * tolerance} % (${(100 * ratio).toFixed(2)} %)`, ratio <= tolerance);
    }
    const legend = await page.textContent(".dc-legend");
    check(`${party}: the legend says whose is which colour`, /yours \(blue\)/.test(legend) && /another party's \(red\)/.test(legend) &&
      /unknown owner \(amber\)/.test(legend), legend);
    check(`${party}: a scale bar in km and NM`, /^\d+ k?m \([\d.]+ NM\)$/.test(await page.textContent(".dc-scale-text")));
    const alerts = await page.$$eval("#alerts li[data-level]", (lis) => lis.map((li) => li.textContent));
    check(`${party}: every alert's time to the second, no fraction`, alerts.length > 0 &&
      alerts.every((t) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ [A-Z]+ /.test(t) && !/\d\.\d{3,}/.test(t)), alerts.join("\n"));
    const options = await page.$$eval("#window option", (os) => os.map((o) => o.textContent));
    check(`${party}: the time control's windows are the scenarios', not the zones' 2000-2100`,
      !options.some((o) => /^20(00|99)|2100/.test(o)) && options.includes("Live (now)"), options.join(" | "));
  }
  const text = (party, sel) => sessions[party].page.$$eval(sel, (lis) => lis.map((li) => li.textContent).join("\n"));
  const data = (party, key) => sessions[party].page.evaluate((k) => document.body.dataset[k], key);
  // Turkey: its zone alerts' intruder drawn on the grid; notices in words; its own zone blue, Syria's red
  check("Turkey's map draws the Su-24 its alerts concern, on the disclosure grid", Number(await data("turkey", "disclosedDrawn")) >= 1);
  const ta = await text("turkey", "#alerts li");
  // Turkey's radar sees Russia's Su-24 (its account as sensor tracks): Russia's aircraft, unnamed without a grant
  check("Turkey's alerts place Russia's aircraft at ±500 m inside its zone, unnamed", /INCURSION Russia's aircraft \(position ±500 m[^)]*\) is inside your zone turkey-airspace/.test(ta) &&
    !/SU24/.test(ta), ta);
  const tn = await text("turkey", "#notices li");
  check("Turkey's notices in words: the hazard over its site refused, the window to the second",
    tn.includes("A hazard of Russia over your site albab-unit was refused: it covers your protected site from 2017-02-09 06:00:00 to 12:00:00Z"), tn);
  check("no notice shows raw enum text", !/hazard_refused_over_site|protected_site\)|counterpart_must/.test(tn), tn);
  check("Turkey's site drawn as a symbol of fixed size", Number(await data("turkey", "symbols")) >= 1);
  check("base-map borders left out where zones run (no double line)", Number(await data("turkey", "bordersLeftOut")) > 100);
  // Russia: its own aircraft labelled (callsign, level, speed, age), a 2015 track not live
  check("Russia's aircraft is labelled on the map", Number(await data("russia", "labelsDrawn")) >= 1);
  const rt = await text("russia", "#tracks li");
  check("Russia's 2015 track is listed stale, not live", /SU24RU .*stale: last report 2015-11-24 07:\d\d:\d\dZ/.test(rt) && !/ live,/.test(rt), rt);
  check("Russia's 12 alerts are all in the list, above the fold", (await sessions.russia.page.locator("#alerts li[data-level]").count()) >= 8 &&
    await sessions.russia.page.$eval("#alerts-view", (v) => v.getBoundingClientRect().top < 300));
  // the coalition: Russia's route shared under a grant, and said so
  const ci = await text("coalition", "#intents li[data-provenance='grant']");
  check("the coalition's list says Russia's route is shared under a grant and audited", /su24-strike-package.*shared by Russia under a grant; your read is audited/.test(ci), ci);
  // Syria: empty lists that say why
  const si = await text("syria", "#intents li, #hazards li, #notices li");
  check("Syria's empty lists say why", (si.match(/None: /g) || []).length === 3, si);
  // a click on a site in the list fits the map to it without an error (it threw layerPointToLatLng)
  const before = errors.length, tp = sessions.turkey.page, zoom0 = await tp.evaluate(() => document.querySelector(".dc-scale-text").textContent);
  await tp.click("#hazards li[data-id='albab-unit']");
  await tp.waitForTimeout(600);
  check("clicking a site in the list zooms to it, no error", errors.length === before &&
    (await tp.evaluate(() => document.querySelector(".dc-scale-text").textContent)) !== zoom0, errors.slice(before).join("\n"));
  // the 2015 window played back: the time label, the alerts up to the moment, Russia's aircraft at the moment
  const rp = sessions.russia.page;
  const w2015 = await rp.$$eval("#window option", (os) => (os.find((o) => o.textContent.startsWith("2015-11-24")) || {}).value);
  check("Russia has a window for 24 Nov 2015", !!w2015);
  if (w2015) {
    await rp.selectOption("#window", w2015);
    // 07:22:00, between the first advisory (07:19:07) and the incursion (07:24:05)
    const [t0, t1] = w2015.slice(2).split(":").map(Number);
    await rp.fill("#time", String(Math.round(1000 * (Date.UTC(2015, 10, 24, 7, 22) - t0) / (t1 - t0))));
    await rp.dispatchEvent("#time", "input");
    await rp.waitForTimeout(300);
    const label = await rp.textContent("#time-label"), shown = await rp.locator("#alerts li[data-level]").count();
    check("the time control shows 2015-11-24 to the second", /^2015-11-24 \d\d:\d\d:\d\dZ$/.test(label), label);
    check("and only the alerts up to that moment", shown > 0 && shown < 12, String(shown));
    const dl = await rp.locator(".dc-disclosed-label").allTextContents();
    check("and Russia's aircraft where its alerts put it then", dl.length === 1 && /^SU24RU FL190, alert 07:\d\d:\d\dZ$/.test(dl[0]), dl.join(" | "));
    await rp.click("#play");
    await rp.waitForTimeout(600);
    check("play moves the time on", (await rp.textContent("#time-label")) > label);
    await rp.click("#play");
    await rp.selectOption("#window", "all");
  }
  // the replay: its own layers and key, its table whole
  await rp.click("#view-replay");
  await rp.waitForSelector("#replay-table tbody tr", { timeout: 5000 });
  check("the replay has its own key", (await rp.textContent(".dc-legend")).startsWith("Replay key"));
  check("the replay hides the live layers", (await rp.locator(".dc-aircraft").count()) === 0 && (await rp.locator(".dc-disclosed-label").count()) === 0);
  check("the replay table is not cut", await rp.$eval("#replay-table", (t) => t.getBoundingClientRect().right <= t.closest("aside").getBoundingClientRect().right + 1));
  await rp.waitForTimeout(800); // fitBounds' animation
  await rp.screenshot({ path: join(shots, "replay-russia.png") });
  if (update) copyFileSync(join(shots, "replay-russia.png"), join(docDir, "replay.png"));
  await rp.click("#view-live");
}

// The share of pixels that differ (any channel by more than 48 of 255) between two PNGs of one size, computed by the
// browser's own decoder; the differing pixels painted red into `out`.
async function differing(page, a, b, out) {
  // a blank page of its own: the picture's Content-Security-Policy rightly refuses data: URLs
  differing.page = differing.page || await browser.newPage();
  const res = await differing.page.evaluate(async ([x, y]) => {
    const load = async (b64) => createImageBitmap(await (await fetch("data:image/png;base64," + b64)).blob());
    const [ia, ib] = [await load(x), await load(y)];
    if (ia.width !== ib.width || ia.height !== ib.height) return { ratio: 1 };
    const c = new OffscreenCanvas(ia.width, ia.height), ctx = c.getContext("2d");
    ctx.drawImage(ia, 0, 0);
    const da = ctx.getImageData(0, 0, ia.width, ia.height);
    ctx.drawImage(ib, 0, 0);
    const db = ctx.getImageData(0, 0, ia.width, ia.height);
    let n = 0;
    for (let i = 0; i < da.data.length; i += 4) {
      const d = Math.max(Math.abs(da.data[i] - db.data[i]), Math.abs(da.data[i + 1] - db.data[i + 1]), Math.abs(da.data[i + 2] - db.data[i + 2]));
      if (d > 48) { n++; db.data[i] = 255; db.data[i + 1] = 0; db.data[i + 2] = 0; }
    }
    ctx.putImageData(db, 0, 0);
    const blob = await c.convertToBlob({ type: "image/png" });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return { ratio: n / (da.data.length / 4), diff: btoa(s) };
  }, [a.toString("base64"), b.toString("base64")]);
  if (res.diff) writeFileSync(out, Buffer.from(res.diff, "base64"));
  return res.ratio;
}
