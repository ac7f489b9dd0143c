// stream.js - the page's two event streams, read in a Web Worker (docs/PERFORMANCE.md, "The picture at scale"): the
// track stream's ~1.5 MB/s of JSON at 10,000 aircraft is read, parsed and packed here, and the page's main thread is
// handed typed arrays (transferred, not copied) instead of an object per aircraft; alerts are parsed here and handed
// over a read's worth at a time. What a party may see is decided by the server, which filters every batch and alert:
// this file only changes the form of what the server sent to this party.
// Messages in: { start: { key, lastAlert } }. Messages out: { kind: "state", which, state }, { kind: "alerts", items },
// { kind: "tracks", snapshot, more, names, slots, columns, gone } (see packTracks).
"use strict";

// Each aircraft has a slot, numbered here once for the life of the page, so that a batch names an aircraft by number;
// `names` in a message are the names of the slots first seen in it, in order, from slot `first`.
const slotOf = new Map();
// per track: Web Mercator x and y in [0, 1), lat, lng (degrees), altitude (m), ground speed (m/s), track (degrees),
// report time (ms since 1970); NaN where the report had no velocity
const COLUMNS = 8;

function world(lat, lng, out, at) {
  const s = Math.sin(Math.max(-85.05, Math.min(85.05, lat)) * Math.PI / 180);
  out[at] = (lng + 180) / 360;
  out[at + 1] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
}

function packTracks(batch) {
  const n = batch.tracks.length, slots = new Int32Array(n), columns = new Float64Array(n * COLUMNS), names = [];
  const first = slotOf.size;
  for (let i = 0; i < n; i++) {
    const t = batch.tracks[i], o = i * COLUMNS;
    let slot = slotOf.get(t.aircraft);
    if (slot === undefined) {
      slot = slotOf.size;
      slotOf.set(t.aircraft, slot);
      names.push(t.aircraft);
    }
    slots[i] = slot;
    world(t.position.lat, t.position.lng, columns, o);
    columns[o + 2] = t.position.lat;
    columns[o + 3] = t.position.lng;
    columns[o + 4] = t.altitude_m;
    columns[o + 5] = t.ground_speed_mps === undefined ? NaN : t.ground_speed_mps;
    columns[o + 6] = t.track_deg === undefined ? NaN : t.track_deg;
    columns[o + 7] = Date.parse(t.time);
  }
  const message = { kind: "tracks", snapshot: !!batch.snapshot, more: !!batch.more, first, names, slots, columns, gone: batch.gone || [] };
  postMessage(message, [slots.buffer, columns.buffer]);
}

// A stream of Server-Sent Events read with fetch, so that the key travels in a header, never in a URL; the events of
// each read handed to `onEvents([[name, data, id], ...])`. Reconnects with exponential back-off (0.5 s doubling to
// 30 s, jittered), from 0.5 s again once a connection has carried data; stops on 401/403 (the key is gone).
async function sse(which, path, key, headersOf, onEvents) {
  const say = (state) => postMessage({ kind: "state", which, state });
  let delay = 500;
  for (;;) {
    let wait = delay;
    try {
      const r = await fetch(path, { headers: Object.assign({ Authorization: "Bearer " + key }, headersOf()) });
      if (r.status === 401 || r.status === 403) { say("refused"); return; }
      if (r.status === 429) wait = Math.max(wait, 1000 * Number(r.headers.get("Retry-After") || 5));
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
      say("live");
      const reader = r.body.getReader(), decoder = new TextDecoder();
      // An event's text is kept as the pieces it came in until its end is read, and only the new piece is searched:
      // a batch of 2,000 tracks (~300 KB) comes in many reads, and appending each to one string searched from its
      // start was quadratic (the string copied flat at every read).
      let pieces = [], endsWithNewline = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        let text = decoder.decode(value, { stream: true });
        const events = [];
        for (;;) {
          const straddles = endsWithNewline && text.startsWith("\n"); // "\n" ended the pieces, "\n" begins this one
          const cut = straddles ? 0 : text.indexOf("\n\n");
          if (cut < 0) {
            if (text) { pieces.push(text); endsWithNewline = text.endsWith("\n"); }
            break;
          }
          let event = pieces.join("") + text.slice(0, cut);
          if (straddles) event = event.slice(0, -1);
          text = text.slice(cut + (straddles ? 1 : 2));
          pieces = [];
          endsWithNewline = false;
          let name = "message", data = null, id = null;
          for (const line of event.split("\n")) {
            if (line.startsWith("event: ")) name = line.slice(7);
            else if (line.startsWith("id: ")) id = Number(line.slice(4));
            else if (line.startsWith("data: ")) data = line.slice(6);
          }
          if (data !== null) events.push([name, data, id]);
        }
        if (events.length) { onEvents(events); delay = 500; wait = 500; }
      }
    } catch (e) {
      // a refused or dropped connection: said on the indicator, retried below (never a page error)
    }
    say("reconnecting");
    await new Promise((res) => setTimeout(res, wait * (0.75 + Math.random() / 2)));
    delay = Math.min(30000, delay * 2);
  }
}

onmessage = (e) => {
  const start = e.data && e.data.start;
  if (!start || typeof start.key !== "string") return;
  let lastAlert = start.lastAlert || 0;
  // the tracks first: a page opened late has thousands of alerts to catch up on, and the picture comes before them
  sse("tracks", "/v1/tracks/stream", start.key, () => ({}), (events) => {
    for (const [name, data] of events) if (name === "tracks") packTracks(JSON.parse(data));
  });
  sse("alerts", "/v1/alerts/stream", start.key, () => (lastAlert ? { "Last-Event-ID": String(lastAlert) } : {}), (events) => {
    const items = [];
    for (const [, data, id] of events) {
      if (id) lastAlert = id;
      items.push(JSON.parse(data));
    }
    postMessage({ kind: "alerts", items });
  });
};
