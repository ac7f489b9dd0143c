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

  // Web Mercator in [0, 1) world units: projected once per report, scaled per draw.
  function world(lat, lng) {
    const s = Math.sin(Math.max(-85.05, Math.min(85.05, lat)) * Math.PI / 180);
    return [(lng + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
  }

  // The aircraft by name, with their last positions; changed by batches of the track stream.
  class TrackStore {
    constructor() {
      this.byName = new Map();
      this.version = 0;    // grows with every change: lists and canvas redraw when it moved
      this.membership = 0; // grows when aircraft come, go, or change urgency: lists re-sort then
    }
    apply(batch, party) {
      for (const t of batch.tracks) {
        let a = this.byName.get(t.aircraft);
        if (!a) {
          a = { aircraft: t.aircraft, party, trail: new Float64Array(2 * TRAIL), trailT: new Float64Array(TRAIL), trailLength: 0, trailHead: 0,
                urgency: 0, urgencyLevel: "" };
          this.byName.set(t.aircraft, a);
          this.membership++;
        }
        a.lat = t.position.lat; a.lng = t.position.lng; a.alt = t.altitude_m;
        a.gs = t.ground_speed_mps; a.trk = t.track_deg; a.time = t.time; a.ms = Date.parse(t.time);
        const [x, y] = world(a.lat, a.lng);
        a.x = x; a.y = y;
        a.trail[2 * a.trailHead] = x; a.trail[2 * a.trailHead + 1] = y; a.trailT[a.trailHead] = a.ms;
        a.trailHead = (a.trailHead + 1) % TRAIL;
        a.trailLength = Math.min(TRAIL, a.trailLength + 1);
      }
      for (const name of batch.gone) if (this.byName.delete(name)) this.membership++;
      this.version++;
    }
    // A snapshot replaces the picture: those it did not name are gone (a reconnection after a gap).
    keepOnly(names) {
      for (const name of [...this.byName.keys()]) if (!names.has(name)) { this.byName.delete(name); this.membership++; }
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
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, h);
      const visible = [], at = this.at;
      this.now = Date.now();
      for (let a of this.store.byName.values()) {
        if (at !== null && !(a = this.positionAt(a.aircraft, at))) continue; // a moment played back
        const px = a.x * scale - ox, py = a.y * scale - oy;
        if (px >= -20 && py >= -20 && px <= w + 20 && py <= h + 20) visible.push(a);
      }
      const detail = zoom >= 8 || visible.length < 2000;
      if (detail) this.drawTrails(ctx, visible, scale, ox, oy);
      this.drawAircraft(ctx, visible, scale, ox, oy, zoom);
      this.drawLabels(ctx, visible, scale, ox, oy, zoom);
      // for hover and the tests: where each drawn aircraft is in the map's container
      const shiftX = this.topLeft.x - map.containerPointToLayerPoint([0, 0]).x, shiftY = this.topLeft.y - map.containerPointToLayerPoint([0, 0]).y;
      if (this.points.length < 2 * visible.length) this.points = new Float32Array(4 * visible.length + 64);
      visible.forEach((a, i) => { this.points[2 * i] = a.x * scale - ox + shiftX; this.points[2 * i + 1] = a.y * scale - oy + shiftY; });
      this.drawn = visible;
      document.body.dataset.aircraftDrawn = String(visible.length);
      document.body.dataset.aircraftKnown = String(this.store.byName.size);
    },
    drawTrails(ctx, visible, scale, ox, oy) {
      ctx.beginPath();
      for (const a of visible) {
        for (let k = 0; k < a.trailLength; k++) {
          const j = (a.trailHead - a.trailLength + k + TRAIL) % TRAIL;
          const px = a.trail[2 * j] * scale - ox, py = a.trail[2 * j + 1] * scale - oy;
          if (k === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
        }
      }
      ctx.strokeStyle = "rgba(0, 131, 143, 0.55)";
      ctx.lineWidth = 1.5;
      ctx.stroke();
    },
    // Each aircraft a triangle along its track (a dot without one) and, from zoom 7, a leader line: a minute ahead.
    drawAircraft(ctx, visible, scale, ox, oy, zoom) {
      const byColour = new Map();
      for (const a of visible) {
        const stale = (this.at === null ? this.now : this.at) - a.ms > STALE_MS;
        const colour = stale ? STYLE.stale : a.urgency >= 2 ? STYLE.urgent[a.urgency] : a.party === this.options.party() ? STYLE.own : STYLE.other;
        if (!byColour.has(colour)) byColour.set(colour, []);
        byColour.get(colour).push(a);
      }
      const metresPerPixel = (lat) => 40075016.7 * Math.cos(lat * Math.PI / 180) / scale;
      for (const [colour, list] of byColour) {
        ctx.beginPath();
        const leaders = zoom >= 7;
        for (const a of list) {
          const px = a.x * scale - ox, py = a.y * scale - oy;
          if (Number.isFinite(a.trk)) {
            const r = a.trk * Math.PI / 180, s = Math.sin(r), c = Math.cos(r);
            ctx.moveTo(px + 6 * s, py - 6 * c);
            ctx.lineTo(px - 4 * s + 3.5 * c, py + 4 * c + 3.5 * s);
            ctx.lineTo(px - 4 * s - 3.5 * c, py + 4 * c - 3.5 * s); // fill closes it: closePath on a path of thousands
            // of figures costs Chromium time in proportion to the path (its 10,000 aircraft were 80 % of a frame)
          } else {
            ctx.moveTo(px + 3.5, py);
            ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
          }
        }
        ctx.fillStyle = colour;
        ctx.fill();
        if (leaders) {
          ctx.beginPath();
          for (const a of list) {
            if (!Number.isFinite(a.trk) || !Number.isFinite(a.gs)) continue;
            const px = a.x * scale - ox, py = a.y * scale - oy, len = Math.min(200, a.gs * 60 / metresPerPixel(a.lat));
            const r = a.trk * Math.PI / 180;
            ctx.moveTo(px, py);
            ctx.lineTo(px + len * Math.sin(r), py - len * Math.cos(r));
          }
          ctx.strokeStyle = colour;
          ctx.lineWidth = 1;
          ctx.stroke();
        }
      }
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
      const cellW = zoom >= 10 ? 90 : 140, cellH = zoom >= 10 ? 26 : 40, taken = new Set();
      const order = visible.filter((a) => a.urgency > 0).concat(visible.filter((a) => a.urgency === 0));
      ctx.font = "11px 'DejaVu Sans', sans-serif";
      ctx.textBaseline = "middle";
      ctx.lineWidth = 3;
      ctx.strokeStyle = "rgba(255, 255, 255, 0.85)";
      let drawn = 0;
      for (const a of order) {
        const px = a.x * scale - ox, py = a.y * scale - oy, cell = Math.floor(px / cellW) + ":" + Math.floor(py / cellH);
        if (taken.has(cell)) continue;
        taken.add(cell);
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
