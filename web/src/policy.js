// policy.js - Trusted Types' default policy, the page's one door to markup: it lets through the few constant strings
// Leaflet 1.9 writes as markup (its SVG check, the zoom buttons) and refuses every other string, so that no text
// from the API can become an element even if a line of code forgets to treat it as text. Loaded before anything else;
// the server's Content-Security-Policy requires it (require-trusted-types-for 'script'; trusted-types default).
"use strict";
(function () {
  const leaflet = new Set(['<svg/>', '<span aria-hidden="true">+</span>', '<span aria-hidden="true">&#x2212;</span>']);
  if (window.trustedTypes && window.trustedTypes.createPolicy) {
    // a refusal (null) makes the browser throw at the sink and report the violation; the one script URL let through
    // is the page's Worker that reads its event streams (stream.js)
    window.trustedTypes.createPolicy("default", { createHTML: (text) => (leaflet.has(text) ? text : null),
                                                  createScriptURL: (url) => (url === "stream.js" ? url : null) });
  }
})();
