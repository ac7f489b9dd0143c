// check-responses.mjs - every answer the integration and security suites received is what
// docs/openapi.yaml says: its status is documented for the operation, its content type too, and
// its body validates against the schema (issue 17: "docs/openapi.yaml exactly what the server
// sends"). The suites record their answers (tests/integration/harness.py, DC_API_RECORD_DIR).
// usage: node web/check-responses.mjs docs/openapi.yaml RECORD_DIR
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import Ajv from "ajv";
import YAML from "yaml";

const [specPath, recordDir] = process.argv.slice(2);
const spec = await SwaggerParser.dereference(YAML.parse(readFileSync(specPath, "utf8")));

// OpenAPI 3.0's `nullable` as JSON Schema's null type; its other keywords ajv is told to ignore
function jsonSchema(s, seen = new Map()) {
  if (s === null || typeof s !== "object") return s;
  if (seen.has(s)) return seen.get(s);
  const out = Array.isArray(s) ? [] : {};
  seen.set(s, out);
  for (const [k, v] of Object.entries(s)) {
    if (k === "nullable" || k === "example" || k === "discriminator" || k === "xml") continue;
    out[k] = jsonSchema(v, seen);
  }
  if (!Array.isArray(s) && s.nullable) {
    const copy = { ...out };
    for (const k of Object.keys(out)) delete out[k];
    out.anyOf = [copy, { type: "null" }];
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
const templates = Object.keys(spec.paths).map((t) => ({
  t,
  re: new RegExp("^" + t.replace(/\{[^}]+\}/g, "[^/]+") + "$"),
  // a literal route wins over a pattern (/v1/parties/me over /v1/parties/{name})
  literal: !t.includes("{"),
}));
function operation(method, path) {
  const p = path.split("?")[0];
  const match = templates.filter((x) => x.re.test(p)).sort((a, b) => b.literal - a.literal)[0];
  if (!match) return null;
  const op = spec.paths[match.t][method.toLowerCase() === "head" ? "get" : method.toLowerCase()];
  return op ? { template: match.t, op } : { template: match.t, op: null };
}

const validators = new Map();
function validator(schema) {
  if (!validators.has(schema)) validators.set(schema, ajv.compile(jsonSchema(schema)));
  return validators.get(schema);
}

let files = [];
try {
  files = readdirSync(recordDir).filter((f) => f.endsWith(".jsonl"));
} catch {
  /* none */
}
if (files.length === 0) {
  console.log(`FAIL no answers recorded in ${recordDir}: run the integration and security suites first (ctest does)`);
  process.exit(1);
}
const failures = new Map(); // one line per kind of failure, with a count and an example
let checked = 0;
function fail(key, example) {
  const f = failures.get(key) || { n: 0, example };
  f.n++;
  failures.set(key, f);
}
for (const file of files) {
  for (const line of readFileSync(join(recordDir, file), "utf8").split("\n")) {
    if (!line) continue;
    const x = JSON.parse(line);
    const p = x.path.split("?")[0];
    // the picture's files and the problem pages are not JSON API answers
    if (!p.startsWith("/v1/") && p !== "/metrics" && !p.startsWith("/problems")) continue;
    checked++;
    const found = operation(x.method, x.path);
    const where = `${x.test}: ${x.method} ${x.path.slice(0, 80)} -> ${x.status}`;
    if (!found) {
      // an undocumented path can only be a refusal (404 for no route, or 400 for a bad one)
      if (x.status !== 404 && x.status !== 400 && x.status !== 401) fail(`${x.method} undocumented path answered ${x.status}`, where);
      continue;
    }
    if (!found.op) {
      if (x.status !== 405 && x.status !== 401 && x.status !== 403 && x.status !== 400) fail(`${x.method} ${found.template}: not documented, answered ${x.status}`, where);
      continue;
    }
    const responses = found.op.responses || {};
    const r = responses[String(x.status)] || responses[`${String(x.status)[0]}XX`] || responses.default;
    // refusals every route may give (docs/openapi.yaml's description says so): any route refuses
    // bad framing, an unknown query parameter, a wrong method, a missing key, a rate past the bucket
    const generic = [400, 401, 403, 404, 405, 406, 412, 413, 414, 415, 422, 429, 431, 500, 503];
    if (!r) {
      if (!generic.includes(x.status) || x.content_type.split(";")[0] !== "application/problem+json")
        fail(`${x.method} ${found.template}: status ${x.status} not documented`, where);
      continue;
    }
    const ctype = (x.content_type || "").split(";")[0].trim();
    if (!r.content) {
      if (x.body !== "" && x.body !== null && x.status !== 304) fail(`${x.method} ${found.template} ${x.status}: a body where none is documented`, where);
      continue;
    }
    const media = r.content[ctype];
    if (!media) {
      fail(`${x.method} ${found.template} ${x.status}: content type ${ctype} not documented`, where);
      continue;
    }
    if (!media.schema || typeof x.body === "string") continue; // text answers: documented as a string
    const v = validator(media.schema);
    if (!v(x.body)) {
      const e = v.errors[0];
      fail(`${x.method} ${found.template} ${x.status}: ${e.instancePath || "/"} ${e.message}`, `${where}\n      ${JSON.stringify(x.body).slice(0, 300)}`);
    }
  }
}
for (const [key, f] of failures) console.log(`FAIL ${key} (${f.n}x), e.g. ${f.example}`);
console.log(`api_conformance: ${checked} answers from ${files.length} tests checked, ${failures.size} kinds of difference`);
process.exit(failures.size ? 1 : 0);
