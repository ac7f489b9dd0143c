// picture.js - the live picture at scale (docs/PERFORMANCE.md, "The picture at scale"): the aircraft of the track
// stream in one store, drawn on one canvas above Leaflet's panes (no element per aircraft), and lists that keep only
// their visible rows in the DOM. app.js owns the page; this file owns what grows with the number of aircraft and alerts.
// Text reaches the page through textContent and canvas fillText only.
"use strict";
(function () {
  const TRAIL = 16; // positions kept per aircraft for its trail
  const LEVEL_RANK = { emergency: 6, loss: 5, incursion: 5, nonconforming: 4, warning: 4, advisory: 2, clear: 0 };
  const rankOf = (level) => LEVEL_RANK[level] || 0;
  // How an aircraft is drawn: by owner (own blue; others' red, for the picture issue's legend) and by urgency.
  const STALE_MS = 300e3; // no report for five minutes: the aircraft is drawn grey and its label says how old it is
  const STYLE = { own: "#1565c0", other: "#c62828", stale: "#8a8a8a", urgent: ["#1565c0", "#1565c0", "#f9a825", "#f9a825", "#ef6c00", "#c62828", "#d50000"] };

  // The aircraft by name, with their last positions; changed by the track stream's batches as stream.js packs them
  // (slots and columns: no object per report reaches the page).
  class TrackStore {
    constructor() {
      this.byName = new Map();
      this.names = [];     // a slot's aircraft, as stream.js numbered them
      this.version = 0;    // grows with every change: lists and canvas redraw when it moved
      this.membership = 0; // grows when aircraft come, go, or change urgency: lists re-sort then
      this.roster = 0;     // grows when aircraft come or go: the list's order by name is rebuilt then
    }
    apply(batch, party) {
      for (let k = 0; k < batch.names.length; k++) this.names[batch.first + k] = batch.names[k];
      const c = batch.columns;
      for (let i = 0; i < batch.slots.length; i++) {
        const name = this.names[batch.slots[i]], o = 8 * i;
        let a = this.byName.get(name);
        if (!a) {
          a = { aircraft: name, party, trail: new Float64Array(2 * TRAIL), trailT: new Float64Array(TRAIL), trailLength: 0, trailHead: 0,
                urgency: 0, urgencyLevel: "", x: 0, y: 0, lat: 0, lng: 0, alt: 0, gs: NaN, trk: NaN, ms: 0 };
          this.byName.set(name, a);
          this.membership++;
          this.roster++;
        }
        a.x = c[o]; a.y = c[o + 1]; a.lat = c[o + 2]; a.lng = c[o + 3]; a.alt = c[o + 4]; a.gs = c[o + 5]; a.trk = c[o + 6]; a.ms = c[o + 7];
        a.trail[2 * a.trailHead] = a.x; a.trail[2 * a.trailHead + 1] = a.y; a.trailT[a.trailHead] = a.ms;
        a.trailHead = (a.trailHead + 1) % TRAIL;
        a.trailLength = Math.min(TRAIL, a.trailLength + 1);
      }
      for (const name of batch.gone) if (this.byName.delete(name)) { this.membership++; this.roster++; }
      this.version++;
    }
    // A snapshot replaces the picture: those it did not name are gone (a reconnection after a gap).
    keepOnly(names) {
      for (const name of [...this.byName.keys()]) if (!names.has(name)) { this.byName.delete(name); this.membership++; this.roster++; }
      this.version++;
    }
    urgent(aircraft, level) {
      const a = this.byName.get(aircraft), r = rankOf(level);
      if (a && r > a.urgency) { a.urgency = r; a.urgencyLevel = level; this.membership++; this.version++; }
    }
  }

  // A report's age as a label says it: "4s", "3m", "2h", "11y"
  function ageText(ms) {
    const s = Math.max(0, ms / 1000);
    return s < 100 ? Math.round(s) + "s" : s < 6000 ? Math.round(s / 60) + "m" : s < 172800 ? Math.round(s / 3600) + "h"
      : s < 63072000 ? Math.round(s / 86400) + "d" : Math.floor(s / 31557600) + "y";
  }

  // Pixels as ImageData holds them (RGBA in memory: 0xAABBGGRR on every little-endian machine), alpha left to the stamp.
  const pixel = (hex) => parseInt(hex.slice(5, 7) + hex.slice(3, 5) + hex.slice(1, 3), 16);
  const PIXEL = { own: pixel(STYLE.own), other: pixel(STYLE.other), stale: pixel(STYLE.stale), urgent: STYLE.urgent.map(pixel),
                  trail: pixel("#00838f") };
  const HEADINGS = 72; // triangles pre-drawn every 5 degrees; the last mask is the dot of an aircraft without a track

  // Each heading's triangle (and the dot) drawn once by the canvas, antialiased, at the screen's pixel ratio, and kept
  // as (dx, dy, alpha) triples around the aircraft's pixel.
  function spriteMasks(ratio) {
    const half = Math.ceil(8 * ratio), size = 2 * half + 1;
    const canvas = document.createElement("canvas");
    canvas.width = size; canvas.height = size * (HEADINGS + 1);
    const c = canvas.getContext("2d", { willReadFrequently: true });
    c.fillStyle = "#000";
    for (let k = 0; k <= HEADINGS; k++) {
      const cx = half + 0.5, cy = k * size + half + 0.5;
      c.beginPath();
      if (k < HEADINGS) {
        const r = k * 2 * Math.PI / HEADINGS, s = ratio * Math.sin(r), co = ratio * Math.cos(r);
        c.moveTo(cx + 6 * s, cy - 6 * co);
        c.lineTo(cx - 4 * s + 3.5 * co, cy + 4 * co + 3.5 * s);
        c.lineTo(cx - 4 * s - 3.5 * co, cy + 4 * co - 3.5 * s);
      } else {
        c.arc(cx, cy, 3.5 * ratio, 0, 2 * Math.PI);
      }
      c.fill();
    }
    const alpha = c.getImageData(0, 0, size, size * (HEADINGS + 1)).data, masks = [];
    for (let k = 0; k <= HEADINGS; k++) {
      const m = [];
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) {
          const v = alpha[4 * ((k * size + y) * size + x) + 3];
          if (v > 0) m.push(x - half, y - half, v);
        }
      const mask = Int16Array.from(m);
      mask.reach = half; // no pixel of a mask lies further than this from its centre, on either axis
      masks.push(mask);
    }
    masks.ratio = ratio;
    return masks;
  }

  // A mask stamped in `colour` at pixel (x0, y0); where figures overlap, the more opaque pixel stays. The mask's
  // offsets into a row-major image `W` wide are computed once per width, and an aircraft whose mask lies wholly
  // inside the image (nearly all) is stamped without a test per pixel.
  function stamp(px32, W, H, mask, x0, y0, colour) {
    if (mask.width !== W) {
      mask.offsets = new Int32Array(mask.length / 3);
      mask.alphas = new Int32Array(mask.length / 3);
      for (let q = 0; q < mask.length; q += 3) { mask.offsets[q / 3] = mask[q + 1] * W + mask[q]; mask.alphas[q / 3] = mask[q + 2]; }
      mask.width = W;
    }
    if (x0 - mask.reach < 0 || y0 - mask.reach < 0 || x0 + mask.reach >= W || y0 + mask.reach >= H) {
      for (let q = 0; q < mask.length; q += 3) {
        const x = x0 + mask[q], y = y0 + mask[q + 1];
        if (x < 0 || y < 0 || x >= W || y >= H) continue;
        const p = y * W + x, alpha = mask[q + 2];
        if (alpha >= px32[p] >>> 24) px32[p] = colour | (alpha << 24);
      }
      return;
    }
    const base = y0 * W + x0, offsets = mask.offsets, alphas = mask.alphas;
    for (let q = 0; q < offsets.length; q++) {
      const p = base + offsets[q], alpha = alphas[q];
      if (alpha >= px32[p] >>> 24) px32[p] = colour | (alpha << 24);
    }
  }

  // A line one pixel wide from (x0, y0) to (x1, y1) at opacity `alpha` (0-255), one pixel a step along its longer side.
  function line(px32, W, H, x0, y0, x1, y1, colour, alpha) {
    const n = Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))) || 1, value = colour | (alpha << 24);
    const dx = (x1 - x0) / n, dy = (y1 - y0) / n;
    let x = x0, y = y0;
    for (let k = 0; k <= n; k++, x += dx, y += dy) {
      if (x < 0 || y < 0 || x >= W || y >= H) continue;
      const p = (y | 0) * W + (x | 0); // | 0 truncates, as floor does for the non-negative values tested above
      if (alpha >= px32[p] >>> 24) px32[p] = value;
    }
  }

  // One canvas over the map, in a pane of Leaflet's map pane so that it pans with the map without a redraw; redrawn when
  // the aircraft change (at most once a frame, by the caller) and when the map has moved or zoomed.
  const AircraftLayer = L.Layer.extend({
    initialize(store, options) { this.store = store; this.selected = null; this.at = null; this.options = Object.assign({ padding: 0.1 }, options); },
    // Where an aircraft was at `t` (ms) by its trail: its last position at or before t, if not older than STALE_MS.
    positionAt(name, t) {
      const a = this.store.byName.get(name);
      if (!a || t === null) return a || null;
      let best = -1;
      for (let k = 0; k < a.trailLength; k++) {
        const j = (a.trailHead - 1 - k + TRAIL) % TRAIL;
        if (a.trailT[j] <= t) { best = j; break; }
      }
      if (best < 0 || t - a.trailT[best] > STALE_MS) return null;
      return Object.assign(Object.create(a), { x: a.trail[2 * best], y: a.trail[2 * best + 1], ms: a.trailT[best], trailLength: 0 });
    },
    onAdd(map) {
      this.canvas = L.DomUtil.create("canvas", "dc-aircraft leaflet-zoom-hide");
      // its own pane, above the volumes (overlayPane, 400) and below emergencies (640) and Leaflet's markers
      (map.getPane("aircraft") || map.createPane("aircraft")).appendChild(this.canvas);
      map.getPane("aircraft").style.zIndex = 450;
      this.ctx = this.canvas.getContext("2d");
      this.points = new Float32Array(0); // container positions of the aircraft drawn, for hover
      this.drawn = [];
      map.on("moveend zoomend resize viewreset", this.reset, this);
      this.reset();
    },
    onRemove(map) { map.off("moveend zoomend resize viewreset", this.reset, this); this.canvas.remove(); },
    reset() {
      const map = this._map, size = map.getSize(), pad = size.multiplyBy(this.options.padding).round();
      this.topLeft = map.containerPointToLayerPoint([0, 0]).subtract(pad).round();
      this.size = size.add(pad.multiplyBy(2));
      const ratio = window.devicePixelRatio || 1;
      if (this.canvas.width !== this.size.x * ratio || this.canvas.height !== this.size.y * ratio) {
        this.canvas.width = this.size.x * ratio; this.canvas.height = this.size.y * ratio;
        this.canvas.style.width = this.size.x + "px"; this.canvas.style.height = this.size.y + "px";
      }
      this.ratio = ratio;
      L.DomUtil.setPosition(this.canvas, this.topLeft);
      this.draw();
    },
    draw() {
      const map = this._map;
      if (!map) return;
      const ctx = this.ctx, ratio = this.ratio, w = this.size.x, h = this.size.y, zoom = map.getZoom();
      const scale = 256 * Math.pow(2, zoom), origin = map.getPixelOrigin();
      const ox = origin.x + this.topLeft.x, oy = origin.y + this.topLeft.y; // canvas pixel = world * scale - o
      const visible = [], at = this.at;
      this.now = Date.now();
      for (let a of this.store.byName.values()) {
        if (at !== null && !(a = this.positionAt(a.aircraft, at))) continue; // a moment played back
        const px = a.x * scale - ox, py = a.y * scale - oy;
        if (px >= -20 && py >= -20 && px <= w + 20 && py <= h + 20) visible.push(a);
      }
      this.drawAircraft(ctx, visible, scale, ox, oy, zoom, zoom >= 8 || visible.length < 2000);
      this.drawLabels(ctx, visible, scale, ox, oy, zoom);
      // for hover and the tests: where each drawn aircraft is in the map's container
      const shiftX = this.topLeft.x - map.containerPointToLayerPoint([0, 0]).x, shiftY = this.topLeft.y - map.containerPointToLayerPoint([0, 0]).y;
      if (this.points.length < 2 * visible.length) this.points = new Float32Array(4 * visible.length + 64);
      visible.forEach((a, i) => { this.points[2 * i] = a.x * scale - ox + shiftX; this.points[2 * i + 1] = a.y * scale - oy + shiftY; });
      this.drawn = visible;
      document.body.dataset.aircraftDrawn = String(visible.length);
      document.body.dataset.aircraftKnown = String(this.store.byName.size);
    },
    // Each aircraft a triangle along its track (a dot without one); from zoom 7 a leader line, a minute ahead; with
    // `trails`, its last positions joined. All of it stamped as pixels into an ImageData that replaces the canvas's
    // pixels at once: Chromium without a GPU rasterises a canvas path in software when the frame is committed, and
    // one path of 5,354 triangles took 21 ms there, most of a 10,000-aircraft update's main-thread time and outside
    // the page's script (docs/PERFORMANCE.md, bench/web_draw.mjs); stamping them takes a few ms.
    drawAircraft(ctx, visible, scale, ox, oy, zoom, trails) {
      const ratio = this.ratio, W = this.canvas.width, H = this.canvas.height;
      if (!this.image || this.image.width !== W || this.image.height !== H) {
        this.image = ctx.createImageData(W, H);
        this.pixels = new Uint32Array(this.image.data.buffer);
      }
      if (!this.masks || this.masks.ratio !== ratio) this.masks = spriteMasks(ratio);
      const px32 = this.pixels, masks = this.masks, me = this.options.party(), now = this.at === null ? this.now : this.at;
      px32.fill(0);
      const colourOf = (a) => (now - a.ms > STALE_MS ? PIXEL.stale : a.urgency >= 2 ? PIXEL.urgent[a.urgency] : a.party === me ? PIXEL.own : PIXEL.other);
      if (trails) { // under everything else, at the opacity the stroked trails had (0.55)
        for (const a of visible)
          for (let k = 1; k < a.trailLength; k++) {
            const i = (a.trailHead - a.trailLength + k - 1 + TRAIL) % TRAIL, j = (i + 1) % TRAIL;
            line(px32, W, H, (a.trail[2 * i] * scale - ox) * ratio, (a.trail[2 * i + 1] * scale - oy) * ratio,
                 (a.trail[2 * j] * scale - ox) * ratio, (a.trail[2 * j + 1] * scale - oy) * ratio, PIXEL.trail, 140);
          }
      }
      if (zoom >= 7) { // leaders next, under every aircraft
        const metresPerPixel = 40075016.7 / scale;
        for (const a of visible) {
          if (!Number.isFinite(a.trk) || !Number.isFinite(a.gs)) continue;
          const x = (a.x * scale - ox) * ratio, y = (a.y * scale - oy) * ratio, r = a.trk * Math.PI / 180;
          const len = ratio * Math.min(200, a.gs * 60 / (metresPerPixel * Math.cos(a.lat * Math.PI / 180)));
          line(px32, W, H, x, y, x + len * Math.sin(r), y - len * Math.cos(r), colourOf(a), 0xd0);
        }
      }
      for (const a of visible) {
        const k = Number.isFinite(a.trk) ? Math.round(((a.trk % 360) + 360) % 360 / (360 / HEADINGS)) % HEADINGS : HEADINGS;
        stamp(px32, W, H, masks[k], Math.floor((a.x * scale - ox) * ratio), Math.floor((a.y * scale - oy) * ratio), colourOf(a));
      }
      ctx.putImageData(this.image, 0, 0); // every pixel replaced: no clearing before
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      if (this.selected && this.store.byName.has(this.selected)) {
        const a = this.store.byName.get(this.selected), px = a.x * scale - ox, py = a.y * scale - oy;
        ctx.beginPath();
        ctx.arc(px, py, 10, 0, 2 * Math.PI);
        ctx.strokeStyle = "#ffb300";
        ctx.lineWidth = 3;
        ctx.stroke();
      }
    },
    // Labels decluttered: one per cell of a screen grid, the most urgent first; the cells shrink as the map zooms in,
    // so that more aircraft are named close up and a national picture is not a wall of text.
    drawLabels(ctx, visible, scale, ox, oy, zoom) {
      if (zoom < 6) return;
      const cellW = zoom >= 10 ? 90 : 140, cellH = zoom >= 10 ? 26 : 40;
      // the cells as bytes, one more row and column before the canvas (visible aircraft lie within 20 px of it): no
      // string or set entry per aircraft
      const cols = Math.ceil(this.size.x / cellW) + 2, taken = new Uint8Array(cols * (Math.ceil(this.size.y / cellH) + 2));
      ctx.font = "11px 'DejaVu Sans', sans-serif";
      ctx.textBaseline = "middle";
      ctx.lineWidth = 3;
      ctx.strokeStyle = "rgba(255, 255, 255, 0.85)";
      let drawn = 0;
      for (const urgentPass of [true, false])
        for (const a of visible) {
          if ((a.urgency > 0) !== urgentPass) continue;
          const px = a.x * scale - ox, py = a.y * scale - oy, cell = (Math.floor(py / cellH) + 1) * cols + Math.floor(px / cellW) + 1;
          if (taken[cell]) continue;
          taken[cell] = 1;
          const ageMs = (this.at === null ? this.now : this.at) - a.ms;
          const text = `${a.aircraft} FL${String(Math.round(a.alt / 30.48)).padStart(3, "0")}${Number.isFinite(a.gs) ? " " + Math.round(a.gs * 1.943844) + "kt" : ""}` +
            ` ${ageText(ageMs)}`;
          ctx.strokeText(text, px + 8, py);
          ctx.fillStyle = ageMs > STALE_MS ? STYLE.stale : a.urgency >= 2 ? STYLE.urgent[a.urgency] : "#0d2a4a";
          ctx.fillText(text, px + 8, py);
          drawn++;
        }
      document.body.dataset.labelsDrawn = String(drawn);
    },
    // The drawn aircraft nearest a container point, within `radius` pixels.
    nearest(point, radius) {
      let best = null, bestD = radius * radius;
      for (let i = 0; i < this.drawn.length; i++) {
        const dx = this.points[2 * i] - point.x, dy = this.points[2 * i + 1] - point.y, d = dx * dx + dy * dy;
        if (d < bestD) { bestD = d; best = this.drawn[i]; }
      }
      return best;
    },
  });

  // A list that keeps only its visible rows in the DOM: `ul` is as tall as all its rows, inside a scrolling `view`;
  // rows are reused, positioned by transform, and filled by `fill(li, item)` with text only.
  class VirtualList {
    constructor(view, ul, rowHeight, fill, onPick) {
      Object.assign(this, { view, ul, rowHeight, fill, onPick, items: [], rows: [] });
      ul.classList.add("vlist");
      view.addEventListener("scroll", () => this.render(), { passive: true });
    }
    setItems(items) { this.items = items; this.ul.style.height = items.length * this.rowHeight + "px"; this.render(); }
    render() {
      const first = Math.max(0, Math.floor(this.view.scrollTop / this.rowHeight) - 4);
      const count = Math.min(this.items.length - first, Math.ceil((this.view.clientHeight || 300) / this.rowHeight) + 8);
      while (this.rows.length < Math.max(0, count)) {
        const li = document.createElement("li");
        li.tabIndex = 0;
        li.addEventListener("click", () => li.item && this.onPick(li.item));
        li.addEventListener("keydown", (e) => { if (e.key === "Enter" && li.item) this.onPick(li.item); });
        this.ul.appendChild(li);
        this.rows.push(li);
      }
      while (this.rows.length > Math.max(0, count)) this.rows.pop().remove();
      this.rows.forEach((li, k) => {
        const item = this.items[first + k];
        li.style.transform = `translateY(${(first + k) * this.rowHeight}px)`;
        li.item = item;
        this.fill(li, item); // fill writes only what changed
      });
    }
  }

  window.dcPicture = { TrackStore, AircraftLayer, VirtualList, rankOf, STALE_MS };
})();
