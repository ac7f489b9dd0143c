// web_feeder.mjs - live aircraft for the browser benchmarks: N aircraft of one party, each reported once a second to a
// running deconflictd, a share of them flying through another party's zone so that alerts flow.
// usage: node bench/web_feeder.mjs BASE_URL KEY COUNT   (runs until killed; prints one line a second on stderr)
const [base, key, countText] = process.argv.slice(2);
const count = Number(countText);
const BATCH = 2500;
// a deterministic fleet (xorshift), spread over 31-41N 27-47E around the scenarios' region
let seed = 0x9e3779b9;
const random = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed / 4294967296; };
const fleet = [];
for (let i = 0; i < count; i++) {
  // one in twenty heads for the zone at 36.0-36.4N 37.8-38.4E, from 5-27 km away
  const toZone = i % 20 === 0;
  const lat = toZone ? 36.2 + (random() - 0.5) * 0.8 : 31 + random() * 10;
  const lng = toZone ? 37.75 - random() * 0.25 : 27 + random() * 20;
  fleet.push({ name: `W${i.toString(36).toUpperCase().padStart(5, "0")}`, lat, lng, alt: 3000 + Math.floor(random() * 9000),
               speed: 120 + random() * 130, track: toZone ? 90 : random() * 360 });
}
const dm = (v, pos, neg) => `${Math.abs(v).toFixed(5)}${v >= 0 ? pos : neg}`;
let tick = 0, refused = 0, alerts = 0;
const said = new Set();
async function post(batch) {
  const r = await fetch(base + "/v1/tracks", { method: "POST", body: JSON.stringify(batch),
    headers: { Authorization: "Bearer " + key, "Content-Type": "application/json" } });
  const body = await r.json().catch(() => ({}));
  if (r.status !== 200) refused += batch.length; else { refused += body.flagged.length; alerts += body.alerts; }
  const why = r.status !== 200 ? `${r.status} ${body.detail || ""}` : body.flagged.length ? body.flagged[0].reason : "";
  if (why && !said.has(why)) { said.add(why); process.stderr.write(`feeder: refused: ${why}\n`); }
}
async function second() {
  const start = Date.now(), time = new Date(Math.floor(start / 1000) * 1000).toISOString().replace(".000Z", "Z");
  const reports = fleet.map((a) => {
    const r = a.track * Math.PI / 180;
    a.lat += a.speed * Math.cos(r) / 111320;
    a.lng += a.speed * Math.sin(r) / (111320 * Math.cos(a.lat * Math.PI / 180));
    return { aircraft: a.name, time, position: `${dm(a.lat, "N", "S")} ${dm(a.lng, "E", "W")}`, altitude: a.alt,
             ground_speed: Math.round(a.speed), track: Math.round(a.track) % 360 };
  });
  const batches = [];
  for (let i = 0; i < reports.length; i += BATCH) batches.push(post(reports.slice(i, i + BATCH)));
  await Promise.all(batches).catch((e) => { refused += count; process.stderr.write(`feeder: ${e.message}\n`); });
  tick++;
  process.stderr.write(`feeder: second ${tick}: ${count} reports in ${Date.now() - start} ms, ${refused} refused, ${alerts} alerts so far\n`);
  setTimeout(second, Math.max(0, 1000 - (Date.now() - start)));
}
second();
