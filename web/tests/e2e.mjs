// e2e.mjs - the operations picture in headless Chromium: who sees the Russian route, live tracks and alerts, screenshots.
// usage: node web/tests/e2e.mjs BUILD_DIR   (starts deconflictd through scripts/demo.py on a free port)
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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
const sessions = {};
const cspLines = []; // the page's own code, live and replay, must never meet its CSP or Trusted Types
for (const party of ["turkey", "coalition"]) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const intents = [];
  page.on("response", async (r) => { if (r.url().endsWith("/v1/intents")) intents.push(await r.text()); });
  page.on("pageerror", (e) => console.log(`${party} page error: ${e.message}`));
  page.on("console", (m) => { if (/Content Security Policy|Trusted Type|Refused to/i.test(m.text())) cspLines.push(`${party}: ${m.text()}`); });
  const start = Date.now();
  await page.goto(base + "/", { waitUntil: "load" });
  const loadMs = Date.now() - start;
  check(`${party}: the page loads in under 1 s (${loadMs} ms)`, loadMs < 1000);
  console.log(`${party}: page loaded in ${loadMs} ms`);
  check(`${party}: the key is not in the URL`, !page.url().includes("dck_"));
  await page.fill("#key", keys[party]);
  await page.click("#sign-in button");
  await page.waitForSelector("body[data-ready='1']", { timeout: 10000, state: "attached" });
  check(`${party}: the page says who is signed in`, (await page.textContent("#party")).includes(party));
  sessions[party] = { context, page, intents };
}
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
console.log(`screenshots in ${shots}`);
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
