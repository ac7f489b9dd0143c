// words.js - what the picture says in words: notices and alerts as sentences an officer reads at a glance, times to
// the second in UTC, durations in minutes and seconds, parties by name. Pure functions of the API's objects (the page
// puts their result on the page as text only). Exposed as window.dcWords.
"use strict";
(function () {
  const PARTY = (p) => (p === "coalition" ? "the coalition" : p ? p.charAt(0).toUpperCase() + p.slice(1) : "another party");
  const PARTYS = (p) => (p === "coalition" ? "the coalition's" : PARTY(p) + "'s");
  const KIND = { intent: "flight", hazard: "hazard", site: "site", zone: "zone", emergency: "emergency" };
  const kind = (k) => KIND[k] || String(k || "object").replace(/_/g, " ");

  // "2015-11-24 07:23:05Z": always to the second, never a fraction
  function time(iso) {
    const ms = typeof iso === "number" ? iso : Date.parse(iso);
    if (!Number.isFinite(ms)) return String(iso || "");
    return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace("T", " ").replace(".000Z", "Z");
  }
  // a window: the second date only when it differs from the first
  function window_(a, b) {
    const s = time(a), e = time(b);
    return s.slice(0, 10) === e.slice(0, 10) ? `from ${s.slice(0, 19)} to ${e.slice(11)}` : `from ${s} to ${e}`;
  }
  function duration(s) {
    s = Math.max(0, Math.round(s));
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? " " + (s % 60) + " s" : ""}`;
    return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  }
  // how long ago a report was: "12 s", "3 min", "11 years"
  function age(ms, now) {
    const s = Math.max(0, (now - ms) / 1000);
    if (s < 120) return `${Math.round(s)} s`;
    if (s < 7200) return `${Math.round(s / 60)} min`;
    if (s < 172800) return `${Math.round(s / 3600)} h`;
    if (s < 63072000) return `${Math.round(s / 86400)} days`;
    return `${Math.floor(s / 31557600)} years`;
  }
  const metres = (m) => (m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`);
  const flightLevel = (m) => "FL" + String(Math.round(m / 30.48)).padStart(3, "0");

  const REASON = {
    zone: "it enters a zone that does not admit it", higher_priority: "the other has higher priority",
    lower_priority: "the other has lower priority", equal_priority: "equal priority: the first filed stands",
    own: "both are yours", protected_site: "it covers a protected site", emergency: "an emergency comes first",
  };

  // A notice as a sentence: what happened to which of your objects, because of whose, when, and what it discloses.
  function notice(n) {
    if (!n.object || !n.counterpart) {
      const what = String(n.action || "notice").replace(/_/g, " ");
      return `${what.charAt(0).toUpperCase() + what.slice(1)}${n.message ? " (message #" + n.message + ")" : ""}${n.by ? " by " + PARTY(n.by) : ""}` +
        (n.created ? ` at ${time(n.created)}` : "");
    }
    const mine = `your ${kind(n.object.kind)} ${n.object.id}`, theirs = `${kind(n.counterpart.kind)} of ${PARTY(n.counterpart.party)}`;
    const Mine = mine.charAt(0).toUpperCase() + mine.slice(1), who = PARTY(n.counterpart.party);
    const reason = REASON[n.reason] ? ` (${REASON[n.reason]})` : n.reason ? ` (${n.reason})` : "";
    const sentences = {
      refused: () => n.reason === "protected_site"
        ? `${Mine} was refused: it covers a protected site of ${who}`
        : `${Mine} was refused: it conflicts with a ${theirs}${reason}`,
      accepted_conflict: () => `${Mine} was accepted although it conflicts with a ${theirs}${reason}`,
      counterpart_must_replan: () => `${Mine} stands: a ${theirs} that conflicts with it must re-plan${reason}`,
      replan: () => `Re-plan ${mine}: a ${theirs} conflicts with it${reason}`,
      own_conflict: () => `${Mine} conflicts with another ${kind(n.counterpart.kind)} of yours`,
      conflict_accepted_by_counterpart: () => `${who} filed a ${kind(n.counterpart.kind)} that conflicts with ${mine}${reason}`,
      hazard_over_new_site: () => `${Mine} lies over a new protected site of ${who}`,
      hazard_refused_over_site: () => `A hazard of ${who} over ${mine} was refused: it covers your protected site`,
      counterpart_must_hold: () => `${Mine} is an emergency: a ${theirs} must hold`,
      counterpart_told: () => `${who} was told that ${mine} crosses its ${kind(n.counterpart.kind)}`,
      emergency_declared: () => `${who} declared an emergency (${String(n.emergency || "").replace(/_/g, " ")}) across ${mine}` +
        (n.entry === "not_granted" ? "; its aircraft are not admitted to it" : ""),
    };
    let text = sentences[n.action] ? sentences[n.action]() : `${Mine}: ${String(n.action).replace(/_/g, " ")} because of a ${theirs}${reason}`;
    if (n.time_start && n.time_end) text += ` ${window_(n.time_start, n.time_end)}`;
    if (Number.isFinite(n.altitude_lower) && Number.isFinite(n.altitude_upper))
      text += `, ${Math.round(n.altitude_lower).toLocaleString("en")}–${Math.round(n.altitude_upper).toLocaleString("en")} m`;
    if (n.disclosed === "geometry") text += `; where: drawn on the map (${n.resolution_m || 500} m grid)`;
    else if (n.disclosed === "window") text += `; only the window is disclosed${n.disclosure_limit ? " (" + n.disclosure_limit.replace(/_/g, " ") + ")" : ""}`;
    else if (n.disclosed === "party") text += "; only the party is disclosed";
    return text + ".";
  }

  // An alert as a sentence, from the recipient's side: its own aircraft by name, another party's "about ±500 m".
  function alert(a, me) {
    const t = a.track || {}, own = !t.party || t.party === me;
    // another party's aircraft its own sensor saw is named only under that party's grant
    const name = t.aircraft || "aircraft";
    const seen = a.sensor ? `, seen by your sensor${a.unidentified ? ", unidentified" : ""}` : "";
    const craft = own ? `Your ${name}` : `${PARTYS(t.party)} ${name} (position ±${a.track.resolution_m || 500} m${seen})`;
    const inS = (s) => (s > 0.5 ? `in ${duration(s)}` : "now");
    const zoneOf = (z) => (z.owner === me ? `your zone ${z.id}` : `${PARTYS(z.owner)} zone ${z.id}`);
    const lv = a.level;
    const byKind = {
      zone: () => lv === "incursion" ? `${craft} is inside ${zoneOf(a.zone)}`
        : lv === "clear" ? `${craft} is clear of ${zoneOf(a.zone)}`
        : `${craft} will enter ${zoneOf(a.zone)} ${inS(a.time_to_event_s)}`,
      separation: () => {
        const o = a.other, who = o.party === me ? `your ${o.aircraft}` : `${PARTYS(o.party)} ${o.aircraft} (±${o.relative.resolution_m} m)`;
        const cpa = a.cpa ? `: closest ${metres(a.cpa.horizontal_m)} and ${Math.round(a.cpa.vertical_m)} m apart` : "";
        return lv === "clear" ? `${craft} and ${who} are separated again` : `${craft} and ${who} lose separation ${inS(a.time_to_event_s)}${cpa}`;
      },
      conformance: () => `${craft} has left its flight ${a.intent.id}`,
      emergency_area: () => `${craft} will enter ${PARTYS(a.emergency.party)} emergency area ${a.emergency.id} ${inS(a.time_to_event_s)}`,
      new_aircraft: () => `${PARTY(a.party)} started ${a.new_aircraft} new aircraft within ${a.window_s} s`,
      implausible_clock: () => `${PARTYS(a.party)} clock is ${duration(a.ahead_s)} ahead`,
      position_unreliable: () => `${craft}: its reported position is not believed`,
      sensor: () => {
        // the sensor's owner is told of its track; the party it identified is told of a dispute
        const sn = a.sensor || {}, id = a.identified, of = id ? `${PARTYS(id.party)} aircraft${id.aircraft ? " " + id.aircraft : ""}` : "";
        if (sn.party !== me) return `${PARTY(sn.party)}'s sensor sees your ${t.aircraft || "aircraft"} elsewhere than you report it (${sn.state})`;
        return sn.state === "identified" ? `Your sensor's track ${sn.track} is ${of}`
          : sn.state === "disputed" ? `Your sensor's track ${sn.track}: ${of} is reported elsewhere (disputed)`
          : `Your sensor's track ${sn.track} is ${sn.state === "unidentified" ? "unidentified: no cooperating aircraft there" : "not yet identified"}`;
      },
    };
    const text = byKind[a.kind] ? byKind[a.kind]() : `${craft}: ${String(a.kind).replace(/_/g, " ")}`;
    return `${time(a.time)} ${lv.toUpperCase()} ${text}`;
  }

  function emergency(a) {
    const e = a.emergency;
    return `${time(a.time)} EMERGENCY ${PARTY(e.party)} declared ${String(e.kind).replace(/_/g, " ")} ${e.id} ` +
      `${window_(a.time_start, a.time_end)}, expires ${time(a.expires)}`;
  }

  // Where another party's object shown to this party comes from.
  function provenance(o, me) {
    if (o.owner === me) return "yours";
    if (o.emergency) return `${PARTYS(o.owner)} emergency, shown to every party near it`;
    if (o.kind === "zone" && o.public) return `${PARTYS(o.owner)} public zone`;
    return `shared by ${PARTY(o.owner)} under a grant; your read is audited`;
  }

  window.dcWords = { time, duration, age, metres, flightLevel, notice, alert, emergency, provenance, party: PARTY };
})();
