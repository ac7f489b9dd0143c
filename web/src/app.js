// app.js - the operations picture: one party's objects, notices, messages, live tracks and alerts over Natural Earth, and replays.
// Every string from the API or a file is put on the page as text (textContent, text nodes, elements handed to Leaflet),
// never parsed as markup: other parties write labels, messages and names (web/tests/lint.mjs holds this file to it).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { key: sessionStorage.getItem("dc-key"), party: null, layers: {}, objects: { intent: [], hazard: [], site: [], zone: [] },
                  aborts: new Set() };
  const colours = { accepted: "#1565c0", activated: "#2e7d32", proposed: "#6d4c41", ended: "#9e9e9e", withdrawn: "#9e9e9e",
                    nonconforming: "#c62828" };
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
  fetch("data/countries-50m.json").then((r) => r.json()).then((topo) => {
    L.geoJSON(topojson.feature(topo, topo.objects.countries), { style: { color: "#8d8d8d", weight: 1, fillColor: "#f3efe2", fillOpacity: 1 },
      interactive: false }).addTo(map).bringToBack();
  });

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

  function selectedTime() {
    const all = [].concat(...Object.values(state.objects)).flatMap((o) => o.volumes || []);
    if (!all.length || $("time").value === "1000") return null;
    const t0 = Math.min(...all.map((v) => Date.parse(v.time_start))), t1 = Math.max(...all.map((v) => Date.parse(v.time_end)));
    return t0 + (t1 - t0) * $("time").value / 1000;
  }

  function drawObjects() {
    const t = selectedTime();
    $("time-label").textContent = t === null ? "all" : new Date(t).toISOString().replace(".000", "");
    for (const kind of ["intent", "hazard", "site", "zone"]) {
      const g = layer(kind);
      g.clearLayers();
      for (const o of state.objects[kind]) {
        const colour = kind === "zone" ? "#e65100" : kind === "hazard" ? "#c62828" : kind === "site" ? "#6a1b9a" : colours[o.state] || "#1565c0";
        for (const v of o.volumes || []) {
          if (!inWindow(v, t)) continue;
          shape(v, o.emergency ? emergencyStyle : { color: colour, weight: kind === "zone" ? 2 : 1, fillOpacity: kind === "zone" ? 0.08 : 0.25 })
            .bindTooltip(textElement(describe(o))).addTo(g);
        }
        if (o.route) L.polyline(o.route.waypoints.map((w) => [w.position.lat, w.position.lng]), { color: colour, weight: 2 }).addTo(g);
      }
    }
  }

  // An object as the lists and tooltips name it; a site's label is its owner's free text.
  function describe(o) {
    return `${o.kind} ${o.id} — ${o.owner}${o.state ? ", " + o.state : ""}${o.label ? ": " + o.label : ""}`;
  }

  function listItem(ul, text, attrs = {}) {
    const li = document.createElement("li");
    li.textContent = text;
    li.tabIndex = 0;
    for (const [k, v] of Object.entries(attrs)) li.setAttribute(k, v);
    ul.appendChild(li);
    return li;
  }

  async function loadObjects() {
    for (const [kind, path] of [["intent", "/v1/intents"], ["hazard", "/v1/hazards"], ["site", "/v1/sites"], ["zone", "/v1/zones"]]) {
      const r = await api(path);
      state.objects[kind] = r.status === 200 ? r.body.items : [];
    }
    const fill = (id, list) => {
      const ul = $(id);
      ul.replaceChildren();
      for (const o of list) {
        const li = listItem(ul, describe(o), { "data-id": o.id, "data-owner": o.owner });
        li.addEventListener("click", () => focusObject(o));
        li.addEventListener("keydown", (e) => { if (e.key === "Enter") focusObject(o); });
      }
    };
    fill("intents", state.objects.intent);
    fill("hazards", state.objects.hazard.concat(state.objects.site));
    fill("zones", state.objects.zone);
    drawObjects();
    const notices = await api("/v1/notices");
    const ul = $("notices");
    ul.replaceChildren();
    layer("notices").clearLayers();
    for (const n of notices.body.items || []) {
      listItem(ul, n.object && n.counterpart
        ? `${n.object.kind} ${n.object.id}: ${n.action}, ${n.counterpart.kind} of ${n.counterpart.party} (${n.reason})`
        : `${n.action}${n.message ? " #" + n.message : ""}${n.by ? " by " + n.by : ""}`);
      if (n.overlap) L.geoJSON(n.overlap, { style: { color: "#ff6f00", weight: 2, fillOpacity: 0.5 } }).addTo(layer("notices"));
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

  function focusObject(o) {
    const v = (o.volumes || [])[0];
    if (!v) return;
    // a circle knows its bounds only on a map
    const outline = shape(v, {}).addTo(map);
    const bounds = outline.getBounds();
    outline.remove();
    map.fitBounds(bounds);
  }

  // ---- the live picture (picture.js): aircraft from the track stream, alerts from the alert stream; the work of
  // both is done once an animation frame, whatever the rate at which batches and alerts come ----
  const { TrackStore, AircraftLayer, VirtualList, rankOf } = window.dcPicture;
  const store = new TrackStore();
  const aircraft = new AircraftLayer(store, { party: () => state.party && state.party.name }).addTo(map);
  const live = { batches: [], alertsIn: [], frame: 0, snapshot: null, listedMembership: -1, listedVersion: -1, alertsChanged: false,
                 alerts: [[], [], [], [], [], [], []], alertCount: 0, parseMs: 0 };
  // what the page itself measured, per frame that changed the picture (read by bench/web_scale.mjs and the tests)
  window.dcPerf = { updates: [], applied: 0 };
  const ALERTS_KEPT = 20000; // the oldest low-urgency alerts leave the page past this (the server keeps them all)

  const trackText = (a) => `${a.aircraft}  FL${String(Math.round(a.alt / 30.48)).padStart(3, "0")}  ${a.lat.toFixed(4)}, ${a.lng.toFixed(4)}, ` +
    `${Math.round(a.alt)} m${a.urgencyLevel ? "  " + a.urgencyLevel.toUpperCase() : ""}`;
  const setText = (el, text) => { if (el.textContent !== text) el.textContent = text; };
  const setAttr = (el, name, value) => { if (el.getAttribute(name) !== value) el.setAttribute(name, value); };
  const trackList = new VirtualList($("tracks-view"), $("tracks"), 22, (li, a) => {
    setText(li, trackText(a));
    setAttr(li, "data-aircraft", a.aircraft);
    setAttr(li, "class", a.urgencyLevel ? "level-" + a.urgencyLevel : "");
  }, (a) => { aircraft.selected = a.aircraft; map.setView([a.lat, a.lng], Math.max(map.getZoom(), 9)); });
  const alertList = new VirtualList($("alerts-view"), $("alerts"), 22, (li, a) => {
    setText(li, a.text);
    setAttr(li, "class", "level-" + a.level);
    setAttr(li, "data-level", a.level);
  }, (a) => a.go());

  function schedule() {
    if (!live.frame) live.frame = requestAnimationFrame(frame);
  }

  function filterOf(id) {
    const words = $(id).value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    return (text) => words.every((w) => text.toLowerCase().includes(w));
  }

  function frame() {
    live.frame = 0;
    const t0 = performance.now();
    const changed = live.batches.length > 0 || live.alertsIn.length > 0;
    for (const b of live.batches.splice(0)) {
      if (b.snapshot) live.snapshot = live.snapshot || new Set();
      store.apply(b, state.party && state.party.name);
      if (b.snapshot) for (const t of b.tracks) live.snapshot.add(t.aircraft);
      if (b.snapshot && !b.more) { store.keepOnly(live.snapshot); live.snapshot = null; }
    }
    for (const a of live.alertsIn.splice(0)) {
      live.alerts[rankOf(a.level)].push(a);
      live.alertCount++;
      if (a.aircraft) store.urgent(a.aircraft, a.level);
      live.alertsChanged = true;
    }
    while (live.alertCount > ALERTS_KEPT) {
      const bucket = live.alerts.find((b) => b.length > 0);
      bucket.shift();
      live.alertCount--;
    }
    if (store.version !== live.listedVersion) aircraft.draw();
    refreshLists(store.version !== live.listedVersion);
    live.listedVersion = store.version;
    if (changed) {
      window.dcPerf.updates.push(performance.now() - t0 + live.parseMs);
      window.dcPerf.applied++;
      live.parseMs = 0;
    }
  }

  // The lists: tracks by urgency then name, alerts by urgency then newest first; re-sorted only when membership,
  // urgency or the filter changed, their visible rows rewritten when anything did.
  function refreshLists(moved, refilter) {
    // a re-sort of thousands of rows at most twice a second, whatever the rate of alerts: the rows between are
    // rewritten in place, and a frame comes back for what was put off
    const now = performance.now(), due = refilter || now - (live.sortedAt || 0) >= 500;
    if (!due && (store.membership !== live.listedMembership || live.alertsChanged) && !live.later)
      live.later = setTimeout(() => { live.later = 0; live.alertsChanged = live.alertsChanged || true; schedule(); }, 500);
    if (due) live.sortedAt = now;
    if (due && store.membership !== live.listedMembership || refilter) {
      const keep = filterOf("tracks-filter");
      const rows = [...store.byName.values()].filter((a) => keep(`${a.aircraft} ${a.party} ${a.urgencyLevel} FL${Math.round(a.alt / 30.48)}`));
      rows.sort((a, b) => b.urgency - a.urgency || (a.aircraft < b.aircraft ? -1 : a.aircraft > b.aircraft));
      trackList.setItems(rows);
      setText($("tracks-count"), `${rows.length.toLocaleString("en")} of ${store.byName.size.toLocaleString("en")}`);
      live.listedMembership = store.membership;
    } else if (moved) {
      trackList.render();
    }
    if (refilter || (due && live.alertsChanged)) {
      const keep = filterOf("alerts-filter"), rows = [];
      for (let r = live.alerts.length - 1; r >= 0; r--)
        for (let i = live.alerts[r].length - 1; i >= 0; i--) if (keep(live.alerts[r][i].text)) rows.push(live.alerts[r][i]);
      alertList.setItems(rows);
      setText($("alerts-count"), `${rows.length.toLocaleString("en")} of ${live.alertCount.toLocaleString("en")}`);
      live.alertsChanged = false;
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
      (Number.isFinite(a.gs) ? `, ${Math.round(a.gs * 1.943844)} kt, ${Math.round(a.trk)}°` : "") + `, ${a.time}`;
    tip.style.transform = `translate(${Math.round(e.containerPoint.x + 12)}px, ${Math.round(e.containerPoint.y - 10)}px)`;
  });
  map.on("mouseout", () => { tip.hidden = true; });

  // A stream of Server-Sent Events read with fetch, so that the key travels in a header, never in a URL; each event
  // handed to `onEvent(name, data)`. Reconnects with exponential back-off (0.5 s doubling to 30 s, jittered), from
  // 0.5 s again once a connection has carried data; stops on 401/403 (the key is gone) or at sign-out.
  async function sse(path, headersOf, onEvent, onState) {
    let delay = 500;
    while (state.key) {
      const abort = new AbortController();
      state.aborts.add(abort);
      let wait = delay;
      try {
        const r = await fetch(path, { headers: Object.assign({ Authorization: "Bearer " + state.key }, headersOf()), signal: abort.signal });
        if (r.status === 401 || r.status === 403) { onState("refused"); return; }
        if (r.status === 429) wait = Math.max(wait, 1000 * Number(r.headers.get("Retry-After") || 5));
        if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
        onState("live");
        const reader = r.body.getReader(), decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const event = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let name = "message", data = null, id = null;
            for (const line of event.split("\n")) {
              if (line.startsWith("event: ")) name = line.slice(7);
              else if (line.startsWith("id: ")) id = Number(line.slice(4));
              else if (line.startsWith("data: ")) data = line.slice(6);
            }
            if (data !== null) { onEvent(name, data, id); delay = 500; wait = 500; }
          }
        }
      } catch (e) {
        // a refused or dropped connection: said on the indicator, retried below (never a page error)
      } finally {
        state.aborts.delete(abort);
      }
      if (!state.key) return;
      onState("reconnecting");
      await new Promise((res) => setTimeout(res, wait * (0.75 + Math.random() / 2)));
      delay = Math.min(30000, delay * 2);
    }
  }

  function streamTracks() {
    return sse("/v1/tracks/stream", () => ({}), (name, data) => {
      if (name !== "tracks") return;
      const t0 = performance.now();
      live.batches.push(JSON.parse(data));
      live.parseMs += performance.now() - t0;
      schedule();
    }, (s) => setIndicator("tracks", s));
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
    const text = `EMERGENCY ${e.kind.replace(/_/g, " ")} of ${e.party} (${e.id}): ${a.time_start} .. ${a.time_end}, expires ${a.expires}`;
    L.geoJSON(a.area, { style: emergencyStyle, pane: "emergencies" }).bindTooltip(textElement(text)).addTo(g);
    const crew = a.last_known_position;
    if (crew) L.circle([crew.lat, crew.lng], Object.assign({}, emergencyStyle, { radius: crew.radius_m, dashArray: null, fillOpacity: 0.6 }))
      .bindTooltip(textElement(`downed crew, last known position (${e.party})`)).addTo(g);
    const ring = a.area.coordinates[0][0];
    live.alertsIn.push({ level: "emergency", text, go: () => map.fitBounds(ring.map((p) => [p[1], p[0]])) });
    schedule();
  }

  function showAlert(a) {
    if (a.kind === "emergency") {
      showEmergency(a);
      return;
    }
    const describe = {
      zone: () => `zone ${a.zone.owner}/${a.zone.id}, in ${Math.round(a.time_to_event_s)} s`,
      separation: () => `separation with ${a.other.party}/${a.other.aircraft}, in ${Math.round(a.time_to_event_s)} s`,
      conformance: () => `outside its intent ${a.intent.id}`,
      emergency_area: () => `emergency ${a.emergency.party}/${a.emergency.id}, in ${Math.round(a.time_to_event_s)} s`,
    }[a.kind];
    const what = describe ? describe() : a.kind;
    const own = a.track && (!state.party || a.track.party === undefined || a.track.party === state.party.name);
    live.alertsIn.push({ level: a.level, text: `${a.level.toUpperCase()} ${a.track.aircraft}: ${what} (${a.time})`,
      aircraft: own ? a.track.aircraft : null,
      go: () => map.setView([a.track.position.lat, a.track.position.lng], Math.max(map.getZoom(), 9)) });
    schedule();
  }

  // Alerts as Server-Sent Events, resumed after the last alert shown.
  function streamAlerts(lastId) {
    return sse("/v1/alerts/stream", () => (lastId ? { "Last-Event-ID": String(lastId) } : {}), (name, data, id) => {
      if (id) lastId = id;
      showAlert(JSON.parse(data));
    }, (s) => setIndicator("alerts", s));
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
    streamAlerts(last);
    streamTracks();
    document.body.dataset.ready = "1";
  }

  $("sign-in").addEventListener("submit", (e) => { e.preventDefault(); signIn($("key").value.trim()); });
  $("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem("dc-key");
    state.key = null;
    for (const a of state.aborts) a.abort();
    location.reload();
  });
  $("time").addEventListener("input", drawObjects);

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
    L.geoJSON(zone, { style: { color: "#e65100", weight: 2, fillOpacity: 0.15 } }).addTo(g);
    const body = $("replay-table").querySelector("tbody");
    body.replaceChildren();
    const paths = [];
    for (const [i, t] of data.tracks.entries()) {
      const pts = t.points.map((p) => [p[1], p[2]]);
      paths.push({ times: t.points.map((p) => Date.parse(p[0])), pts, marker: L.circleMarker(pts[0], { radius: 6, color: i ? "#1565c0" : "#c62828" }).addTo(g) });
      L.polyline(pts, { color: i ? "#1565c0" : "#c62828", weight: 2 }).addTo(g);
      const c = t.crossings[0];
      const row = document.createElement("tr");
      const cells = c ? [t.name, c.entry.slice(11, 22), c.exit.slice(11, 22), `${c.duration_s.toFixed(1)} s`, `${Math.round(c.max_depth_m)} m`,
                         `${(c.distance_inside_m / 1000).toFixed(2)} km`] : [t.name, "never enters"];
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
    map.fitBounds(L.polyline(paths.flatMap((p) => p.pts)).getBounds());
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

  function setView(replay) {
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
