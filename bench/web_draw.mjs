// web_draw.mjs - one redraw of the picture's canvas alone (web/src/picture.js), against the simple way in the same run:
// N aircraft over 31-41N 27-47E on a 960x760 map at a zoom, in headless Debian Chromium without a GPU. Each redraw is
// timed twice: the page's script, then Chromium's rasterisation of what it drew (forced by reading one pixel back, as
// committing a frame would). The reference draws the same visible aircraft as the page did before stamping: one path
// of triangles per colour, filled, and a stroked leader line each. Best and median of 50 redraws after 10 to warm up.
// Not in `make test`; the whole page under a live stream is bench/web_scale.mjs.
// usage: node bench/web_draw.mjs [--aircraft 10000] [--zoom 7] [--web DIST]
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { chromium } = createRequire(join(root, "web/package.json"))("playwright-core");
const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };
const web = arg("--web", join(root, "web/dist"));
const n = Number(arg("--aircraft", "10000")), zoom = Number(arg("--zoom", "7"));

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.setContent("<div id=map style='width:960px;height:760px'></div>");
  await page.addStyleTag({ path: join(web, "vendor/leaflet.css") });
  await page.addScriptTag({ path: join(web, "vendor/leaflet.js") });
  await page.addScriptTag({ path: join(web, "picture.js") });
  const r = await page.evaluate(([n, zoom]) => {
    const map = L.map("map").setView([36, 37], zoom);
    const { TrackStore, AircraftLayer } = window.dcPicture;
    const store = new TrackStore();
    let seed = 0x9e3779b9; // the feeder's fleet generator (bench/web_feeder.mjs)
    const random = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed / 4294967296; };
    const names = [], slots = new Int32Array(n), columns = new Float64Array(8 * n), now = Date.now();
    for (let i = 0; i < n; i++) {
      names.push("W" + i.toString(36).toUpperCase().padStart(5, "0"));
      slots[i] = i;
      const lat = 31 + random() * 10, lng = 27 + random() * 20, s = Math.sin(lat * Math.PI / 180);
      columns.set([(lng + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI), lat, lng, 3000 + random() * 9000,
                   120 + random() * 130, random() * 360, now], 8 * i);
    }
    store.apply({ first: 0, names, slots, columns, gone: [] }, "red");
    for (let i = 0; i < n; i += 7) store.urgent(names[i], i % 2 ? "warning" : "advisory");
    const layer = new AircraftLayer(store, { party: () => "red" }).addTo(map);
    const ctx = layer.canvas.getContext("2d"), flush = () => ctx.getImageData(0, 0, 1, 1);
    const reference = () => { // one path per colour, filled; a leader each, stroked
      const scale = 256 * Math.pow(2, zoom), origin = map.getPixelOrigin();
      const ox = origin.x + layer.topLeft.x, oy = origin.y + layer.topLeft.y, byColour = new Map();
      ctx.setTransform(layer.ratio, 0, 0, layer.ratio, 0, 0);
      ctx.clearRect(0, 0, layer.size.x, layer.size.y);
      for (const a of layer.drawn) {
        const colour = ["#1565c0", "#1565c0", "#f9a825", "#f9a825", "#ef6c00"][a.urgency];
        if (!byColour.has(colour)) byColour.set(colour, []);
        byColour.get(colour).push(a);
      }
      for (const [colour, list] of byColour) {
        ctx.beginPath();
        for (const a of list) {
          const px = a.x * scale - ox, py = a.y * scale - oy, r = a.trk * Math.PI / 180, s = Math.sin(r), c = Math.cos(r);
          ctx.moveTo(px + 6 * s, py - 6 * c);
          ctx.lineTo(px - 4 * s + 3.5 * c, py + 4 * c + 3.5 * s);
          ctx.lineTo(px - 4 * s - 3.5 * c, py + 4 * c - 3.5 * s);
        }
        ctx.fillStyle = colour;
        ctx.fill();
        ctx.beginPath();
        for (const a of list) {
          const px = a.x * scale - ox, py = a.y * scale - oy, r = a.trk * Math.PI / 180;
          const len = Math.min(200, a.gs * 60 * scale / (40075016.7 * Math.cos(a.lat * Math.PI / 180)));
          ctx.moveTo(px, py);
          ctx.lineTo(px + len * Math.sin(r), py - len * Math.cos(r));
        }
        ctx.strokeStyle = colour;
        ctx.lineWidth = 1;
        ctx.stroke();
      }
    };
    const time = (draw) => {
      const runs = [];
      for (let k = 0; k < 60; k++) {
        flush();
        const t0 = performance.now();
        draw();
        const t1 = performance.now();
        flush();
        if (k >= 10) runs.push([t1 - t0, performance.now() - t1]);
      }
      runs.sort((a, b) => a[0] + a[1] - b[0] - b[1]);
      return { best: runs[0], median: runs[runs.length >> 1] };
    };
    // the page's draw includes its labels; the reference has none, so the page's labels alone are timed too
    const labels = time(() => { ctx.setTransform(layer.ratio, 0, 0, layer.ratio, 0, 0); ctx.clearRect(0, 0, layer.size.x, layer.size.y);
      const scale = 256 * Math.pow(2, zoom), o = map.getPixelOrigin();
      layer.drawLabels(ctx, layer.drawn, scale, o.x + layer.topLeft.x, o.y + layer.topLeft.y, zoom); });
    return { drawn: layer.drawn.length, page: time(() => layer.draw()), reference: time(reference), labels };
  }, [n, zoom]);
  const f = (t) => `${(t[0] + t[1]).toFixed(1)} ms (script ${t[0].toFixed(1)} + raster ${t[1].toFixed(1)})`;
  console.log(`${n} aircraft, zoom ${zoom}, ${r.drawn} in view: page ${f(r.page.best)} best, ${f(r.page.median)} median; ` +
    `reference (paths) ${f(r.reference.best)} best, ${f(r.reference.median)} median; the page's labels alone ${f(r.labels.best)} best`);
} finally {
  await browser.close();
}
