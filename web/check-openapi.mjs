// check-openapi.mjs - docs/openapi.yaml is a valid OpenAPI 3 document and documents every route the server serves.
// usage: node web/check-openapi.mjs docs/openapi.yaml src/api/handlers.c
import { readFileSync } from "node:fs";
import SwaggerParser from "@apidevtools/swagger-parser";
import YAML from "yaml";

const [specPath, handlersPath] = process.argv.slice(2);
const spec = YAML.parse(readFileSync(specPath, "utf8"));
let failed = 0, passed = 0;
try {
  await SwaggerParser.validate(structuredClone(spec));
  passed++;
} catch (e) {
  console.log(`FAIL ${specPath} is not valid OpenAPI: ${e.message}`);
  failed++;
}
// Every route in the server's route table (and its object collections) must be documented.
const source = readFileSync(handlersPath, "utf8");
const routes = new Set([...source.matchAll(/\{"(\/[^"]+)", ACCESS_/g)].map((m) => m[1]));
for (const kind of ["intents", "hazards", "zones", "sites"]) routes.add(`/v1/${kind}`).add(`/v1/${kind}/{id}`);
routes.add("/v1/messages/{id}/ack");
// emergency.c serves these before the route table (dc__api_emergency_route)
for (const r of ["/v1/emergencies", "/v1/emergencies/{id}", "/v1/emergencies/{id}/renew", "/v1/parties/{name}/emergency"]) routes.add(r);
for (const route of routes) {
  if (spec.paths[route]) passed++;
  else { console.log(`FAIL route ${route} is served but not in ${specPath}`); failed++; }
}
for (const route of Object.keys(spec.paths)) {
  if (routes.has(route)) passed++;
  else { console.log(`FAIL ${specPath} documents ${route}, which the server does not serve`); failed++; }
}
console.log(`openapi: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
