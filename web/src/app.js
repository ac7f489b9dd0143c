// app.js - the operations picture: one party's objects, notices, messages, live tracks and alerts over Natural Earth, and replays.
// Every string from the API or a file is put on the page as text (textContent, text nodes, elements handed to Leaflet),
// never parsed as markup: other parties write labels, messages and names (web/tests/lint.mjs holds this file to it).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { key: sessionStorage.getItem("dc-key"), party: null, layers: {}, objects: { intent: [], hazard: [], site: [], zone: [] },
                  worker: null };
  const W = window.dcWords;
  // Whose an object is, at a glance (the legend says it): own blue, another party's red, nobody's known amber; the kind
  // by style: a zone a thick outline, a flight a filled volume, a hazard dashed, a site dotted with a symbol.
  const OWN = "#1565c0", FOREIGN = "#c62828", UNKNOWN = "#f9a825", GONE = "#9e9e9e";
  const ownerColour = (owner) => (!owner ? UNKNOWN : state.party && owner === state.party.name ? OWN : FOREIGN);
  const KIND_STYLE = {
    zone: { weight: 2.5, fillOpacity: 0.06 },
    intent: { weight: 1.5, fillOpacity: 0.22 },
    hazard: { weight: 2, dashArray: "7 5", fillOpacity: 0.3 },
    site: { weight: 2, dashArray: "2 4", fillOpacity: 0.15 },
  };
  // Leaflet's attribution control writes markup; the attribution is in the page's footer instead.
  const map = L.map("map", { zoomControl: true, attributionControl: false, preferCanvas: true }).setView([36, 37], 7);
  // Emergencies above everything else (docs/EMERGENCIES.md): a pane over every overlay and marker, drawn in SVG so that
  // what lies under it stays clickable.
  map.createPane("emergencies").style.zIndex = 640;
  const emergencyStyle = { color: "#d50000", weight: 3, dashArray: "8 4", fillColor: "#ff1744", fillOpacity: 0.3,
                           pane: "emergencies", renderer: L.svg({ pane: "emergencies" }) };

  // A tooltip's content as an element: Leaflet reads a string as markup, an element as itself.
  function textElement(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  // The base map: Natural Earth land and borders as vectors, no tile server.
  // Land without outlines in its own pane under every overlay; the borders drawn apart, leaving out where a zone's
  // own outline runs (a zone drawn from finer borders beside the base map's made a double line).
  map.createPane("basemap").style.zIndex = 250;
  const basemap = { topo: null, borders: null, renderer: L.canvas({ pane: "basemap" }) };
  // after the page has loaded: 0.75 MB of borders to read and draw would otherwise hold up the sign-in form
  const loadBasemap = () => fetch("data/countries-50m.json").then((r) => r.json()).then((topo) => {
    basemap.topo = topo;
    L.geoJSON(topojson.feature(topo, topo.objects.countries), { style: { stroke: false, fillColor: "#f3efe2", fillOpacity: 1 },
      interactive: false, pane: "basemap", renderer: basemap.renderer }).addTo(map);
    drawBorders();
  });
  if (document.readyState === "complete") loadBasemap();
  else window.addEventListener("load", () => setTimeout(loadBasemap, 0), { once: true });

  // Base-map border points within ~3 km of a zone's outline vertex are not drawn: the zone's outline is the line there.
  function drawBorders() {
    if (!basemap.topo) return;
    const cell = 0.03, near = new Set(), key = (lat, lng) => Math.floor(lat / cell) + ":" + Math.floor(lng / cell);
    for (const z of state.objects.zone)
      for (const v of z.volumes || [])
        for (const p of v.outline_polygon ? v.outline_polygon.vertices : []) near.add(key(p.lat, p.lng));
    const isNear = (lng, lat) => {
      const i = Math.floor(lat / cell), j = Math.floor(lng / cell);
      for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) if (near.has((i + di) + ":" + (j + dj))) return true;
      return false;
    };
    const mesh = topojson.mesh(basemap.topo, basemap.topo.objects.countries), lines = [];
    for (const line of mesh.coordinates) {
      let run = [];
      for (const p of line) {
        if (isNear(p[0], p[1])) { if (run.length > 1) lines.push(run); run = []; } else run.push(p);
      }
      if (run.length > 1) lines.push(run);
    }
    if (basemap.borders) basemap.borders.remove();
    basemap.borders = L.geoJSON({ type: "MultiLineString", coordinates: lines }, { style: { color: "#8d8d8d", weight: 1 },
      interactive: false, pane: "basemap", renderer: basemap.renderer }).addTo(map);
    document.body.dataset.bordersLeftOut = String(mesh.coordinates.reduce((n, l) => n + l.length, 0) - lines.reduce((n, l) => n + l.length, 0));
  }

  // A control of Leaflet built from elements: its container, filled by `build(div)`.
  function control(position, className, build) {
    const C = L.Control.extend({ onAdd() {
      const div = L.DomUtil.create("div", className);
      L.DomEvent.disableClickPropagation(div);
      build(div);
      return div;
    } });
    return new C({ position }).addTo(map);
  }
  const el = (tag, className, text) => {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // The legend: whose by colour, what by style; the live view's and the replay's each their own.
  const LEGEND = [
    ["swatch own", "yours (blue)"], ["swatch foreign", "another party's (red)"], ["swatch unknown", "unknown owner (amber)"],
    ["line zone", "zone (outline)"], ["line intent", "flight: volume, route"], ["line hazard", "hazard (dashed)"],
    ["symbol site", "protected site (symbol at any zoom)"], ["symbol hazard", "hazard centre"],
    ["line overlap", "conflict overlap (500 m grid)"], ["line emergency", "emergency area"],
    ["craft own", "your aircraft: label, leader = 1 min"], ["craft stale", "no report for 5 min (stale)"],
    ["craft disclosed", "another's aircraft from an alert: ±500 m box"], ["line trail", "trail"],
  ];
  const REPLAY_LEGEND = [["line account-tr", "Turkey's account of the Su-24"], ["line account-ru", "Russia's account of the Su-24"],
    ["line replay-zone", "Turkey (Natural Earth 10m)"], ["line crossing", "flown inside Turkey"]];
  let legendBox = null;
  control("bottomleft", "dc-legend", (div) => { legendBox = div; });
  function setLegend(entries, title) {
    legendBox.replaceChildren(el("strong", "", title));
    for (const [cls, text] of entries) {
      const row = el("div", "legend-row");
      row.append(el("span", "key " + cls), el("span", "", text));
      legendBox.appendChild(row);
    }
  }
  setLegend(LEGEND, "Key");

  // A scale bar of a round length (1, 2 or 5 × 10^n m) at most 120 px long, in km and nautical miles.
  let scaleBar = null, scaleText = null;
  control("bottomright", "dc-scale", (div) => {
    scaleText = el("span", "dc-scale-text");
    scaleBar = el("div", "dc-scale-bar");
    div.append(scaleBar, scaleText);
  });
  function updateScale() {
    const size = map.getSize(), y = size.y / 2;
    const m = map.distance(map.containerPointToLatLng([size.x / 2 - 50, y]), map.containerPointToLatLng([size.x / 2 + 50, y])) / 100;
    const max = m * 120, p = Math.pow(10, Math.floor(Math.log10(max))), nice = max / p >= 5 ? 5 * p : max / p >= 2 ? 2 * p : p;
    scaleBar.style.width = Math.round(nice / m) + "px";
    scaleText.textContent = `${nice >= 1000 ? nice / 1000 + " km" : nice + " m"} (${(nice / 1852).toFixed(nice >= 18520 ? 0 : 1)} NM)`;
  }
  map.on("zoomend moveend resize", updateScale);
  updateScale();

  async function api(path, options = {}) {
    const headers = Object.assign({ Authorization: "Bearer " + state.key }, options.body ? { "Content-Type": "application/json" } : {});
    const r = await fetch(path, Object.assign({}, options, { headers }));
    const body = r.headers.get("Content-Type") && r.headers.get("Content-Type").includes("json") ? await r.json() : await r.text();
    return { status: r.status, body };
  }

  function layer(name) {
    if (!state.layers[name]) state.layers[name] = L.layerGroup().addTo(map);
    return state.layers[name];
  }

  function shape(v, style) {
    if (v.outline_circle) {
      const c = v.outline_circle.center;
      return L.circle([c.lat, c.lng], Object.assign({ radius: v.outline_circle.radius }, style));
    }
    return L.polygon(v.outline_polygon.vertices.map((p) => [p.lat, p.lng]), style);
  }

  function inWindow(v, t) {
    return t === null || (Date.parse(v.time_start) <= t && t < Date.parse(v.time_end));
  }

  // ---- the time control: all times, live (now), or a moment in one of the loaded scenario's windows, played back ----
  state.t = null;     // the moment shown in a window (ms)
  state.notices = [];
  function selectedTime() {
    const w = $("window").value;
    return w === "all" ? null : w === "live" ? Date.now() : state.t;
  }
  function currentWindow() {
    const w = $("window").value;
    if (!w.startsWith("w:")) return null;
    const [t0, t1] = w.slice(2).split(":").map(Number);
    return { t0, t1 };
  }
  // The windows of what is loaded: the times of flights, hazards, sites, notices, alerts and tracks, cut where nothing
  // happens for six hours (zones last decades and would flatten everything else to a point, so they take no part).
  function windows() {
    const spans = [];
    for (const kind of ["intent", "hazard", "site"])
      for (const o of state.objects[kind])
        for (const v of o.volumes || []) {
          const a = Date.parse(v.time_start), b = Date.parse(v.time_end);
          if (b - a < 7 * 86400e3) spans.push([a, b]);
        }
    for (const n of state.notices) if (n.time_start && Date.parse(n.time_end) - Date.parse(n.time_start) < 7 * 86400e3)
      spans.push([Date.parse(n.time_start), Date.parse(n.time_end)]);
    // moments (alerts, reports: tens of thousands) as one span per hour they fall in, the earliest to the latest:
    // moments an hour apart are merged below anyway, and sorting a span per moment took the page a long task
    const hours = new Map(), moment = (ms) => {
      if (!Number.isFinite(ms)) return;
      const h = Math.floor(ms / 3600e3), span = hours.get(h);
      if (!span) hours.set(h, [ms, ms]); else { span[0] = Math.min(span[0], ms); span[1] = Math.max(span[1], ms); }
    };
    for (const bucket of live.alerts) for (const a of bucket) moment(a.ms);
    for (const h of live.seen.values()) spans.push([h.data[0], h.data[5 * (h.n - 1)]]);
    for (const a of store.byName.values()) moment(a.ms);
    spans.push(...hours.values());
    spans.sort((x, y) => x[0] - y[0]);
    const out = [];
    for (const [a, b] of spans) {
      const last = out[out.length - 1];
      if (last && a <= last[1] + 6 * 3600e3) last[1] = Math.max(last[1], b); else out.push([a, b]);
    }
    return out.map(([a, b]) => [a - 5 * 60e3, b + 5 * 60e3]);
  }
  function refreshWindows() {
    const sel = $("window"), keep = sel.value;
    const options = [["all", "All times"], ["live", "Live (now)"]];
    for (const [a, b] of windows())
      options.push([`w:${a}:${b}`, `${W.time(a).slice(0, 16)} – ${W.time(a).slice(0, 10) === W.time(b).slice(0, 10) ? W.time(b).slice(11, 16) : W.time(b).slice(0, 16)}Z`]);
    if (options.map((o) => o[0]).join() === [...sel.options].map((o) => o.value).join()) return;
    sel.replaceChildren(...options.map(([v, text]) => { const o = el("option", "", text); o.value = v; return o; }));
    sel.value = options.some((o) => o[0] === keep) ? keep : "all";
  }
  function timeChanged() {
    const w = currentWindow(), t = selectedTime();
    $("time").disabled = !w;
    if (w) $("time").value = String(Math.round(1000 * (state.t - w.t0) / (w.t1 - w.t0)));
    $("time-label").textContent = t === null ? "all times" : $("window").value === "live" ? "live: " + W.time(t) : W.time(t);
    document.body.dataset.time = t === null ? "all" : String(t);
    aircraft.at = w ? state.t : null;
    aircraft.draw();
    drawObjects();
    drawNotices();
    drawDisclosed();
    refreshLists(true, true);
  }
  $("window").addEventListener("change", () => {
    const w = currentWindow();
    if (w) state.t = w.t0;
    stopPlay();
    timeChanged();
  });
  $("time").addEventListener("input", () => {
    const w = currentWindow();
    if (w) state.t = w.t0 + (w.t1 - w.t0) * Number($("time").value) / 1000;
    timeChanged();
  });
  let player = 0;
  function stopPlay() {
    clearInterval(player);
    player = 0;
    $("play").setAttribute("aria-pressed", "false");
    $("play").textContent = "▶ Play";
  }
  $("play").addEventListener("click", () => {
    if (player) { stopPlay(); return; }
    if (!currentWindow()) {
      const first = [...$("window").options].find((o) => o.value.startsWith("w:"));
      if (!first) return;
      $("window").value = first.value;
      state.t = currentWindow().t0;
    }
    $("play").setAttribute("aria-pressed", "true");
    $("play").textContent = "❚❚ Pause";
    player = setInterval(() => {
      const w = currentWindow();
      if (!w) { stopPlay(); return; }
      state.t = Math.min(w.t1, state.t + 250 * Number($("speed").value));
      if (state.t >= w.t1) stopPlay();
      timeChanged();
    }, 250);
  });

  function drawObjects() {
    const t = selectedTime();
    for (const kind of ["zone", "intent", "hazard", "site"]) {
      const g = layer(kind);
      g.clearLayers();
      for (const o of state.objects[kind]) {
        const over = o.state === "ended" || o.state === "withdrawn";
        const colour = over ? GONE : ownerColour(o.owner), style = Object.assign({ color: colour, fillColor: colour }, KIND_STYLE[kind]);
        let shown = false;
        for (const v of o.volumes || []) {
          if (!inWindow(v, t)) continue;
          shown = true;
          shape(v, o.emergency ? emergencyStyle : style).bindTooltip(textElement(describe(o))).addTo(g);
          // a 300 m hazard or a 500 m site is a symbol of a fixed size at any zoom, over its true outline
          if (kind === "site" || kind === "hazard") {
            const c = v.outline_circle ? v.outline_circle.center : centreOf(v.outline_polygon.vertices);
            L.circleMarker([c.lat, c.lng], { radius: kind === "site" ? 7 : 6, color: kind === "site" ? colour : "#1a1a1a", weight: 2,
              fillColor: kind === "site" ? "#fff" : colour, fillOpacity: 1, dashArray: null, className: "dc-symbol" })
              .bindTooltip(textElement(describe(o))).addTo(g);
          }
        }
        if (o.route && (shown || !(o.volumes || []).length))
          L.polyline(o.route.waypoints.map((w) => [w.position.lat, w.position.lng]), { color: colour, weight: 2 }).addTo(g);
      }
    }
    drawBorders();
    document.body.dataset.symbols = String(layer("site").getLayers().concat(layer("hazard").getLayers()).filter((l) => l instanceof L.CircleMarker && !(l instanceof L.Circle)).length);
  }

  function centreOf(vertices) {
    const n = vertices.length;
    return { lat: vertices.reduce((s, p) => s + p.lat, 0) / n, lng: vertices.reduce((s, p) => s + p.lng, 0) / n };
  }

  // An object as the lists and tooltips name it: whose, and how this party came to see it; a site's label is its
  // owner's free text.
  function describe(o) {
    const me = state.party && state.party.name;
    // the owner's free text last, as it was written
    return `${o.kind === "intent" ? "flight" : o.kind} ${o.id}${o.state ? ", " + o.state : ""} ` +
      `(${o.owner === me ? "yours" : W.party(o.owner) + "; " + W.provenance(o, me)})${o.label ? ": " + o.label : ""}`;
  }

  function listItem(ul, text, attrs = {}) {
    const li = document.createElement("li");
    li.textContent = text;
    li.tabIndex = 0;
    for (const [k, v] of Object.entries(attrs)) li.setAttribute(k, v);
    ul.appendChild(li);
    return li;
  }

  // An empty list says why it is empty: nothing of this party's, and nothing shared with it.
  function emptyItem(ul, text) {
    const li = listItem(ul, text, { class: "empty" });
    li.tabIndex = -1;
  }

  async function loadObjects() {
    for (const [kind, path] of [["intent", "/v1/intents"], ["hazard", "/v1/hazards"], ["site", "/v1/sites"], ["zone", "/v1/zones"]]) {
      const r = await api(path);
      state.objects[kind] = r.status === 200 ? r.body.items : [];
    }
    const fill = (id, list, empty) => {
      const ul = $(id);
      ul.replaceChildren();
      if (!list.length) emptyItem(ul, empty);
      for (const o of list) {
        const li = listItem(ul, describe(o), { "data-id": o.id, "data-owner": o.owner,
                                               "data-provenance": o.owner === state.party.name ? "own" : o.emergency ? "emergency" : o.public ? "public" : "grant" });
        li.addEventListener("click", () => focusObject(o));
        li.addEventListener("keydown", (e) => { if (e.key === "Enter") focusObject(o); });
      }
    };
    fill("intents", state.objects.intent, "None: you have filed no flight, and no party shares its flights with you (a grant).");
    fill("hazards", state.objects.hazard.concat(state.objects.site),
         "None: you have filed no hazard or site, and no party shares its own with you (a grant).");
    fill("zones", state.objects.zone, "None: no zone is public or shared with you.");
    drawObjects();
    const notices = await api("/v1/notices");
    state.notices = notices.body.items || [];
    drawNotices();
  }

  // Notices in words, their overlaps on the map (each drawn on the 500 m grid, as disclosed)
  function drawNotices() {
    const ul = $("notices"), t = selectedTime();
    ul.replaceChildren();
    layer("notices").clearLayers();
    const shown = state.notices.filter((n) => t === null || !n.time_start || (Date.parse(n.time_start) <= t && t < Date.parse(n.time_end)));
    if (!state.notices.length) emptyItem(ul, "None: no conflict has touched your flights, hazards, sites or zones.");
    else if (!shown.length) emptyItem(ul, `None at this time (${state.notices.length} at other times).`);
    for (const n of shown) {
      listItem(ul, W.notice(n), { "data-action": n.action || "" });
      if (n.overlap) L.geoJSON(n.overlap, { style: { color: "#ff6f00", weight: 2, dashArray: "4 3", fillOpacity: 0.35 } })
        .bindTooltip(textElement(W.notice(n))).addTo(layer("notices"));
    }
  }

  // Messages on the direct line: the sender's text and, for each coordinate, the sender's original beside its
  // read-back in this party's notation.
  async function loadMessages() {
    const r = await api("/v1/messages");
    const ul = $("messages");
    ul.replaceChildren();
    for (const m of r.status === 200 ? r.body.items : []) {
      const li = listItem(ul, `#${m.id} ${m.from} → ${m.to}${m.acknowledged ? " (confirmed)" : ""}: `, { "data-message": m.id });
      const text = document.createElement("q");
      text.textContent = m.text;
      li.appendChild(text);
      const coords = document.createElement("ul");
      for (const c of m.coordinates) listItem(coords, `${c.original} → ${c.readback} (${c.mgrs})`);
      li.appendChild(coords);
    }
  }

  // The bounds computed from the volume itself: a circle's getBounds needs it drawn on a renderer, which a layer
  // added and removed at once has not (the `layerPointToLatLng` TypeError of a click in the list).
  function focusObject(o) {
    const v = (o.volumes || [])[0];
    if (!v) return;
    const bounds = v.outline_circle
      ? L.latLng(v.outline_circle.center.lat, v.outline_circle.center.lng).toBounds(2 * v.outline_circle.radius)
      : L.latLngBounds(v.outline_polygon.vertices.map((p) => [p.lat, p.lng]));
    map.fitBounds(bounds, { maxZoom: 13, padding: [40, 40] });
  }

  // ---- the live picture (picture.js): aircraft from the track stream, alerts from the alert stream; the work of
  // both is done once an animation frame, whatever the rate at which batches and alerts come ----
  const { TrackStore, AircraftLayer, VirtualList, rankOf } = window.dcPicture;
  const store = new TrackStore();
  const aircraft = new AircraftLayer(store, { party: () => state.party && state.party.name }).addTo(map);
  const live = { batches: [], alertsIn: [], frame: 0, snapshot: null, listedMembership: -1, listedVersion: -1, alertsChanged: false,
                 alerts: [[], [], [], [], [], [], []], alertCount: 0, parseMs: 0, alertsRaw: [],
                 seen: new Map(), seenChanged: false, seenDrawnAt: 0 };
  // what the page itself measured, per frame that changed the picture (read by bench/web_scale.mjs and the tests)
  window.dcPerf = { updates: [], parts: [], applied: 0 };
  const ALERTS_KEPT = 20000; // the oldest low-urgency alerts leave the page past this (the server keeps them all)

  const trackText = (a) => `${a.aircraft}  FL${String(Math.round(a.alt / 30.48)).padStart(3, "0")}  ${a.lat.toFixed(4)}, ${a.lng.toFixed(4)}, ` +
    `${Math.round(a.alt)} m${a.urgencyLevel ? "  " + a.urgencyLevel.toUpperCase() : ""}  ` +
    (Date.now() - a.ms > STALE_MS ? `stale: last report ${W.time(a.ms)}, ${W.age(a.ms, Date.now())} ago` : `live, ${W.age(a.ms, Date.now())} ago`);
  const STALE_MS = window.dcPicture.STALE_MS;
  const setText = (el, text) => { if (el.textContent !== text) el.textContent = text; };
  const setAttr = (el, name, value) => { if (el.getAttribute(name) !== value) el.setAttribute(name, value); };
  const trackList = new VirtualList($("tracks-view"), $("tracks"), 22, (li, a) => {
    setText(li, trackText(a));
    setAttr(li, "data-aircraft", a.aircraft);
    setAttr(li, "class", (a.urgencyLevel ? "level-" + a.urgencyLevel : "") + (Date.now() - a.ms > STALE_MS ? " stale" : ""));
  }, (a) => { aircraft.selected = a.aircraft; map.setView([a.lat, a.lng], Math.max(map.getZoom(), 9)); });
  const alertList = new VirtualList($("alerts-view"), $("alerts"), 38, (li, a) => {
    setText(li, a.text);
    setAttr(li, "title", a.text);
    setAttr(li, "class", "level-" + a.level);
    setAttr(li, "data-level", a.level);
  }, (a) => a.go());

  function schedule() {
    if (!live.frame) live.frame = requestAnimationFrame(frame);
  }

  // A list's filter: null when empty, so that thousands of rows are not turned into text to match nothing.
  function filterOf(id) {
    const words = $(id).value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    return words.length ? (text) => words.every((w) => text.toLowerCase().includes(w)) : null;
  }

  function frame() {
    live.frame = 0;
    const t0 = performance.now();
    const changed = live.batches.length > 0 || live.alertsIn.length > 0 || live.alertsRaw.length > 0;
    // Alerts turned into words 8 ms' worth a frame, 2 ms in a frame that will draw the canvas: a page opened late
    // catches up on thousands of them (tens of thousands at 30,000 aircraft) over several frames instead of in one
    // long task, and a frame is never both a long catch-up and a redraw.
    const budget = live.batches.length || store.version !== live.drawnVersion ? 2 : 8;
    while (live.alertsRaw.length && performance.now() - t0 < budget) {
      const read = live.alertsRaw[0]; // one read's alerts, and how far they have been taken
      for (let n = 0; n < 64 && read.next < read.items.length; n++) showAlert(read.items[read.next++]);
      if (read.next === read.items.length) live.alertsRaw.shift();
    }
    if (live.alertsRaw.length) schedule();
    for (const b of live.batches.splice(0)) {
      if (b.snapshot) live.snapshot = live.snapshot || new Set();
      store.apply(b, state.party && state.party.name);
      live.lastBatch = b;
      if (b.snapshot) for (const slot of b.slots) live.snapshot.add(store.names[slot]);
      if (b.snapshot && !b.more) { store.keepOnly(live.snapshot); live.snapshot = null; }
    }
    for (const a of live.alertsIn.splice(0)) {
      live.alerts[rankOf(a.level)].push(a);
      live.alertCount++;
      if (a.aircraft) store.urgent(a.aircraft, a.level);
      live.alertsChanged = true;
    }
    for (const bucket of live.alerts) { // the least urgent first, oldest first, in one cut per bucket
      if (live.alertCount <= ALERTS_KEPT) break;
      const cut = Math.min(bucket.length, live.alertCount - ALERTS_KEPT);
      bucket.splice(0, cut);
      live.alertCount -= cut;
    }
    // The canvas waits for the rest of a tick's batches (`more`: the server sends them at once) so that a tick of
    // 10,000 aircraft in five batches is drawn once, not five times (a quarter of a second at most), and is drawn at
    // most every 300 ms: the stream's ticks are 500 ms apart, and an alert's new urgency between them waits for the
    // next (a moved or zoomed map is drawn at once, by the layer).
    const t1 = performance.now(), last = live.lastBatch, drawn = live.drawnVersion;
    if (last) live.moreSince = last.more ? live.moreSince || t1 : 0;
    live.lastBatch = null;
    if (store.version !== live.drawnVersion) {
      const wait = Math.max(live.moreSince ? live.moreSince + 250 - t1 : 0, (live.drawnAt || 0) + 300 - t1);
      if (wait <= 0) {
        aircraft.draw();
        live.drawnVersion = store.version;
        live.drawnAt = t1;
      } else if (!live.drawLater) {
        live.drawLater = setTimeout(() => { live.drawLater = 0; schedule(); }, wait + 5);
      }
    }
    const t2 = performance.now();
    if (live.seenChanged && performance.now() - live.seenDrawnAt >= 500) drawDisclosed();
    else if (live.seenChanged && !live.seenLater)
      live.seenLater = setTimeout(() => { live.seenLater = 0; schedule(); }, 500);
    const t3 = performance.now();
    refreshLists(store.version !== live.listedVersion, false, drawn !== live.drawnVersion);
    live.listedVersion = store.version;
    if (changed) {
      const t4 = performance.now();
      window.dcPerf.updates.push(t4 - t0 + live.parseMs);
      // where it went: the streams' messages, applying them, the canvas, others' aircraft from alerts, the lists
      window.dcPerf.parts.push([live.parseMs, t1 - t0, t2 - t1, t3 - t2, t4 - t3]);
      if (window.dcPerf.updates.length > 20000) { // a page left open for days keeps the last figures, not all of them
        window.dcPerf.updates.splice(0, 10000);
        window.dcPerf.parts.splice(0, Math.max(0, window.dcPerf.parts.length - 10000));
      }
      window.dcPerf.applied++;
      live.parseMs = 0;
    }
  }

  // The lists: tracks by urgency then name, alerts by urgency then newest first; re-sorted only when membership,
  // urgency or the filter changed, their visible rows rewritten when anything did.
  // `drew`: this frame has drawn the canvas, so a re-sort waits for the next frame (one frame, one heavy step).
  function refreshLists(moved, refilter, drew) {
    // a re-sort of thousands of rows at most twice a second, whatever the rate of alerts: the rows between are
    // rewritten in place, and a frame comes back for what was put off
    const now = performance.now(), pending = store.membership !== live.listedMembership || live.alertsChanged;
    const due = refilter || (now - (live.sortedAt || 0) >= 500 && !drew);
    if (!due && pending && drew && now - (live.sortedAt || 0) >= 500) schedule();
    else if (!due && pending && !live.later)
      live.later = setTimeout(() => { live.later = 0; schedule(); }, 500);
    if (due) live.sortedAt = now;
    if (due && store.membership !== live.listedMembership || refilter) {
      const keep = filterOf("tracks-filter");
      // by name once per arrival or departure; by urgency then, in one stable pass over the seven levels
      if (live.byNameRoster !== store.roster) {
        live.byName = [...store.byName.values()].sort((a, b) => (a.aircraft < b.aircraft ? -1 : a.aircraft > b.aircraft));
        live.byNameRoster = store.roster;
      }
      const levels = [[], [], [], [], [], [], []];
      for (const a of live.byName)
        if (!keep || keep(`${a.aircraft} ${a.party} ${a.urgencyLevel} FL${Math.round(a.alt / 30.48)}`)) levels[a.urgency].push(a);
      const rows = [].concat(...levels.reverse());
      trackList.setItems(rows);
      setText($("tracks-count"), `${rows.length.toLocaleString("en")} of ${store.byName.size.toLocaleString("en")}`);
      live.listedMembership = store.membership;
    } else if (moved) {
      trackList.render();
    }
    if (refilter || (due && live.alertsChanged)) {
      const keep = filterOf("alerts-filter"), rows = [], t = selectedTime(), w = currentWindow();
      // a window shows its alerts up to the moment; live, the last hour's
      const from = w ? w.t0 : t !== null ? t - 3600e3 : -Infinity, to = t === null ? Infinity : t;
      for (let r = live.alerts.length - 1; r >= 0; r--)
        for (let i = live.alerts[r].length - 1; i >= 0; i--) {
          const a = live.alerts[r][i];
          if ((!keep || keep(a.text)) && !(a.ms < from || a.ms > to)) rows.push(a);
        }
      alertList.setItems(rows);
      setText($("alerts-count"), `${rows.length.toLocaleString("en")} of ${live.alertCount.toLocaleString("en")}`);
      const empty = $("alerts-empty");
      empty.hidden = rows.length > 0;
      if (!rows.length)
        setText(empty, live.alertCount === 0
          ? "No alerts: none of your aircraft has come near a zone that does not admit it, an emergency or another " +
            "aircraft, and no aircraft has come near your zones."
          : `No alerts ${t === null ? "match the filter" : "at this time"} (${live.alertCount} in all).`);
      live.alertsChanged = false;
      if (live.alertCount && !live.windowsAt) live.windowsAt = setTimeout(() => { live.windowsAt = 0; refreshWindows(); }, 3000);
    }
  }
  $("tracks-filter").addEventListener("input", () => refreshLists(true, true));
  $("alerts-filter").addEventListener("input", () => refreshLists(true, true));

  // One aircraft's words on hover: a single element over the map, its text set, never markup.
  const tip = document.createElement("div");
  tip.className = "dc-aircraft-tip";
  tip.hidden = true;
  $("map").appendChild(tip);
  map.on("mousemove", (e) => {
    const a = aircraft.nearest(e.containerPoint, 8);
    tip.hidden = !a;
    if (!a) return;
    tip.textContent = `${a.aircraft} (${a.party}) FL${Math.round(a.alt / 30.48)}, ${Math.round(a.alt)} m` +
      (Number.isFinite(a.gs) ? `, ${Math.round(a.gs * 1.943844)} kt, ${Math.round(a.trk)}°` : "") + `, ${W.time(a.ms)}`;
    tip.style.transform = `translate(${Math.round(e.containerPoint.x + 12)}px, ${Math.round(e.containerPoint.y - 10)}px)`;
  });
  map.on("mouseout", () => { tip.hidden = true; });

  // The two event streams are read in a Worker (stream.js): it parses the track stream's JSON and hands over typed
  // arrays, so that the page's main thread never parses or allocates an object per report.
  function startStreams(lastAlert) {
    const worker = new Worker("stream.js");
    state.worker = worker;
    worker.onmessage = (e) => {
      const m = e.data, t0 = performance.now();
      if (m.kind === "tracks") live.batches.push(m);
      else if (m.kind === "alerts") live.alertsRaw.push({ items: m.items, next: 0 });
      else if (m.kind === "state") setIndicator(m.which, m.state);
      live.parseMs += performance.now() - t0;
      schedule();
    };
    worker.postMessage({ start: { key: state.key, lastAlert } });
  }

  const streamStates = {};
  function setIndicator(which, s) {
    streamStates[which] = s;
    const all = Object.values(streamStates), on = all.length === 2 && all.every((x) => x === "live");
    $("stream").textContent = on ? "alerts: live" : `alerts: ${streamStates.alerts || "connecting"}, tracks: ${streamStates.tracks || "connecting"}`;
    $("stream").className = on ? "stream on" : "stream off";
  }

  // Another party's emergency near this party: its area, and the downed crew's position when this party may be told it.
  function showEmergency(a) {
    const e = a.emergency, g = layer("emergencies");
    const text = W.emergency(a);
    L.geoJSON(a.area, { style: emergencyStyle, pane: "emergencies" }).bindTooltip(textElement(text)).addTo(g);
    const crew = a.last_known_position;
    if (crew) L.circle([crew.lat, crew.lng], Object.assign({}, emergencyStyle, { radius: crew.radius_m, dashArray: null, fillOpacity: 0.6 }))
      .bindTooltip(textElement(`downed crew, last known position (${e.party})`)).addTo(g);
    const ring = a.area.coordinates[0][0];
    live.alertsIn.push({ level: "emergency", text, ms: Date.parse(a.time), go: () => map.fitBounds(ring.map((p) => [p[1], p[0]])) });
    schedule();
  }

  function goToAlert() {
    if (this.at) map.setView(this.at, Math.max(map.getZoom(), 9));
  }

  function showAlert(a) {
    if (a.kind === "emergency") {
      showEmergency(a);
      return;
    }
    const me = state.party && state.party.name;
    const own = a.track && (!state.party || a.track.party === undefined || a.track.party === me);
    noteAircraft(a);
    // the entry keeps two numbers of the alert, not the alert: 20,000 kept alerts holding their parsed objects were
    // a large share of what every garbage collection traced
    const at = a.track && a.track.position ? [a.track.position.lat, a.track.position.lng] : null;
    live.alertsIn.push({ level: a.level, text: W.alert(a, me), ms: Date.parse(a.time),
      aircraft: own && a.track ? a.track.aircraft : null, at, go: goToAlert });
    schedule();
  }

  // Every aircraft an alert concerns, where the alert puts it: this party's own exactly, another party's as the
  // disclosure policy gives it (the centre of its 500 m cell in a zone alert; this aircraft's position plus the
  // rounded relative position in a separation alert), kept as a short history for playback.
  const SEEN_PER_AIRCRAFT = 64, SEEN_AIRCRAFT = 5000;
  function noteAircraft(a) {
    const me = state.party && state.party.name, ms = Date.parse(a.time), t = a.track;
    if (!t || !t.position || !Number.isFinite(ms)) return;
    const note = (party, name, lat, lng, alt, res) => {
      const key = party + "/" + name;
      let h = live.seen.get(key);
      if (!h) {
        if (live.seen.size >= SEEN_AIRCRAFT) return;
        // the points in one typed array (ms, lat, lng, alt, res each), oldest first: 5,000 aircraft of 64 points as
        // objects were 320,000 objects for every garbage collection to trace (at 30,000 aircraft)
        h = { party, aircraft: name, own: party === me, n: 0, data: new Float64Array(5 * SEEN_PER_AIRCRAFT) };
        live.seen.set(key, h);
      }
      const d = h.data;
      let i = h.n;
      while (i > 0 && d[5 * (i - 1)] > ms) i--; // alerts come oldest first; a late one is put in its place
      if (h.n === SEEN_PER_AIRCRAFT) { // full: the oldest leaves
        if (i === 0) return;
        d.copyWithin(0, 5, 5 * i);
        i--;
      } else {
        d.copyWithin(5 * (i + 1), 5 * i, 5 * h.n);
        h.n++;
      }
      d[5 * i] = ms; d[5 * i + 1] = lat; d[5 * i + 2] = lng; d[5 * i + 3] = alt; d[5 * i + 4] = res;
      live.seenChanged = true;
    };
    note(t.party || me, t.aircraft, t.position.lat, t.position.lng, t.altitude_m, t.resolution_m || 0);
    const o = a.other;
    if (o && o.relative && o.party !== me) {
      const lat = t.position.lat + o.relative.north_m / 111320;
      const lng = t.position.lng + o.relative.east_m / (111320 * Math.cos(t.position.lat * Math.PI / 180));
      note(o.party, o.aircraft, lat, lng, t.altitude_m + o.relative.up_m, o.relative.resolution_m || 500);
    }
  }

  // Others' aircraft from alerts, always: a dashed box as large as the disclosure grid's cell, a dot and a label; this
  // party's own from alerts only when playing back a moment the track stream has no position for.
  function drawDisclosed() {
    live.seenChanged = false;
    live.seenDrawnAt = performance.now();
    const g = layer("disclosed"), t = selectedTime(), w = currentWindow(), now = Date.now();
    g.clearLayers();
    let drawn = 0, others = 0;
    for (const h of live.seen.values()) {
      if (h.own && !w) continue;
      let k = -1;
      for (let j = 0; j < h.n; j++) if (t === null || h.data[5 * j] <= t) k = j;
      if (k < 0 || (w && t - h.data[5 * k] > 600e3)) continue;
      const [ms, lat, lng, alt, res] = h.data.subarray(5 * k, 5 * k + 5), p = { ms, lat, lng, alt, res };
      if (h.own && aircraft.positionAt(h.aircraft, t)) continue;
      const colour = h.own ? OWN : FOREIGN;
      if (p.res) {
        const dLat = p.res / 2 / 111320, dLng = p.res / 2 / (111320 * Math.cos(p.lat * Math.PI / 180));
        L.rectangle([[p.lat - dLat, p.lng - dLng], [p.lat + dLat, p.lng + dLng]],
          { color: colour, weight: 1.5, dashArray: "3 3", fillOpacity: 0.12, interactive: false }).addTo(g);
      }
      const label = `${h.aircraft} ${W.flightLevel(p.alt)}${h.own ? "" : " " + W.party(h.party) + " ±" + p.res + " m"}, ` +
        (w ? `alert ${W.time(p.ms).slice(11)}` : `alert ${W.age(p.ms, now)} ago`);
      L.circleMarker([p.lat, p.lng], { radius: 5, color: colour, weight: 2, fillColor: h.own ? colour : "#fff", fillOpacity: 1 })
        .bindTooltip(textElement(label), { permanent: true, direction: "right", offset: [6, 0], className: "dc-disclosed-label" })
        .addTo(g);
      drawn++;
      if (!h.own) others++;
      if (drawn >= 300) break; // beyond that the alert list is the picture
    }
    document.body.dataset.disclosedDrawn = String(others);
  }

  async function signIn(key) {
    state.key = key;
    const me = await api("/v1/parties/me");
    if (me.status !== 200) {
      $("sign-in-error").textContent = "That key is not a party's key.";
      state.key = null;
      sessionStorage.removeItem("dc-key");
      return;
    }
    sessionStorage.setItem("dc-key", key);
    state.party = me.body;
    $("party").textContent = `signed in as ${me.body.name} (${me.body.notation})`;
    $("sign-in").hidden = true;
    $("live").hidden = false;
    $("sign-out").hidden = false;
    await loadObjects();
    await loadMessages();
    const past = await api("/v1/alerts");
    for (const a of past.body.items || []) showAlert(a);
    const last = (past.body.items || []).reduce((m, a) => Math.max(m, a.id), 0);
    startStreams(last);
    refreshWindows();
    timeChanged();
    document.body.dataset.ready = "1";
  }

  $("sign-in").addEventListener("submit", (e) => { e.preventDefault(); signIn($("key").value.trim()); });
  $("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem("dc-key");
    state.key = null;
    if (state.worker) state.worker.terminate();
    location.reload();
  });

  // Coordinates under the cursor, written by the API's own formatter in the party's notation.
  let pending = null, lastText = "", asking = false;
  map.on("mousemove", (e) => {
    if (!state.key) return;
    clearTimeout(pending);
    pending = setTimeout(async () => {
      if (asking) return; // one question at a time: the next move asks again
      asking = true;
      try {
        const r = await api(`/v1/coordinates?lat=${e.latlng.lat.toFixed(7)}&lng=${L.Util.wrapNum(e.latlng.lng, [-180, 180], true).toFixed(7)}`);
        if (r.status === 200) $("cursor").textContent = lastText = `${r.body.text}   (${r.body.mgrs})`;
      } catch (err) {
        // the server busy or gone: the footer keeps the last coordinates
      } finally {
        asking = false;
      }
    }, 120);
  });
  map.on("click", () => { if (lastText && navigator.clipboard) navigator.clipboard.writeText(lastText).catch(() => {}); });

  // Replay: the incident's tracks and the numbers of `deconflict replay`, scrubbed in time.
  async function showReplay(name) {
    const data = await (await fetch(`replays/${name}.json`)).json();
    const zone = await (await fetch(`replays/${name}-zone.geojson`)).json();
    const g = layer("replay");
    g.clearLayers();
    L.geoJSON(zone, { style: { color: "#37474f", weight: 2, fillColor: "#90a4ae", fillOpacity: 0.15 }, interactive: false }).addTo(g);
    const body = $("replay-table").querySelector("tbody");
    body.replaceChildren();
    const paths = [];
    for (const [i, t] of data.tracks.entries()) {
      const pts = t.points.map((p) => [p[1], p[2]]);
      // the accounts in colours of their own: neither is this party's or another's live object
      const colour = ACCOUNT_COLOURS[i % ACCOUNT_COLOURS.length], name = accountName(t.name);
      paths.push({ times: t.points.map((p) => Date.parse(p[0])), pts, marker: L.circleMarker(pts[0], { radius: 6, color: colour, fillOpacity: 0.8 })
        .bindTooltip(textElement(name), { permanent: true, direction: "right", offset: [8, 0] }).addTo(g) });
      L.polyline(pts, { color: colour, weight: 2.5 }).addTo(g);
      const c = t.crossings[0];
      const row = document.createElement("tr");
      row.title = t.name;
      const cells = c ? [name, c.entry.slice(11, 19), c.exit.slice(11, 19), `${c.duration_s.toFixed(1)} s`, `${Math.round(c.max_depth_m)} m`,
                         `${(c.distance_inside_m / 1000).toFixed(2)} km`] : [name, "never enters"];
      for (const text of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        row.appendChild(td);
      }
      if (!c) row.lastChild.colSpan = 5;
      body.appendChild(row);
      for (const cr of t.crossings) L.polyline([[cr.entry_point[0], cr.entry_point[1]], [cr.exit_point[0], cr.exit_point[1]]], { color: "#000", weight: 6, opacity: 0.5 }).addTo(g);
    }
    $("replay-source").textContent = "Border: " + data.zone.source;
    map.fitBounds(L.polyline(paths.flatMap((p) => p.pts)).getBounds(), { padding: [30, 30], paddingBottomRight: [170, 30] });
    const scrub = () => {
      const all = paths.flatMap((p) => p.times), t0 = Math.min(...all), t1 = Math.max(...all);
      const t = t0 + (t1 - t0) * $("scrub").value / 1000;
      $("scrub-label").textContent = new Date(t).toISOString().slice(11, 19) + "Z";
      for (const p of paths) {
        let k = p.times.findIndex((x) => x >= t);
        p.marker.setLatLng(p.pts[k < 0 ? p.pts.length - 1 : k]);
      }
    };
    $("scrub").oninput = scrub;
    scrub();
  }

  // Replay: the live layers leave the map while it is shown, and come back after; the key is the replay's.
  const ACCOUNT_COLOURS = ["#6a1b9a", "#00897b", "#5d4037"];
  const accountName = (file) => {
    const m = /track-([a-z]+)-account/.exec(file);
    return m ? `${W.party(m[1])}'s account` : file.replace(/\.csv$/, "");
  };
  function setView(replay) {
    document.querySelector("main").classList.toggle("replaying", replay);
    map.invalidateSize(false); // the sidebar is wider in replay: the map's size changed
    for (const [name, l] of Object.entries(state.layers)) if (name !== "replay") { if (replay) l.remove(); else l.addTo(map); }
    if (replay) aircraft.remove(); else if (!map.hasLayer(aircraft)) aircraft.addTo(map);
    setLegend(replay ? REPLAY_LEGEND : LEGEND, replay ? "Replay key" : "Key");
    $("view-live").setAttribute("aria-pressed", String(!replay));
    $("view-replay").setAttribute("aria-pressed", String(replay));
    $("replay").hidden = !replay;
    $("live").hidden = replay || !state.key;
    $("sign-in").hidden = replay || !!state.key;
    if (replay) showReplay($("incident").value);
    else {
      if (state.layers.replay) state.layers.replay.clearLayers();
      map.setView([36, 37], 7);
    }
  }
  $("view-live").addEventListener("click", () => setView(false));
  $("view-replay").addEventListener("click", () => setView(true));
  $("incident").addEventListener("change", () => showReplay($("incident").value));

  if (state.key) signIn(state.key);
})();
