// borders.mjs - Natural Earth countries (npm world-atlas, public domain) as Deconflict zone scenarios.
// usage: node web/borders.mjs OUT_DIR [ISO_NUMERIC:party ...]   (default 792:turkey 760:syria)
// Writes OUT_DIR/<party>.geojson: a FeatureCollection with one zone per country, sovereign airspace
// from the surface to 20 km, valid 2000-2100, admitted: nobody but its owner; and
// OUT_DIR/world-land.geojson: every country's land as such a zone (outer rings and holes), owned by a
// party named after it; `deconflict airspace` makes OUT_DIR/world.geojson of it, the countries'
// airspace (land and territorial sea) for the live monitor and replays (not for volume checks: some
// countries exceed a volume's size). Every feature says which it is: "extent": "land" here.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { feature } from "topojson-client";

const require = createRequire(import.meta.url);
const atlasPath = require.resolve("world-atlas/countries-10m.json");
const topology = JSON.parse(readFileSync(atlasPath, "utf8"));
const countries = feature(topology, topology.objects.countries);

const outDir = process.argv[2];
const wanted = (process.argv.length > 3 ? process.argv.slice(3) : ["792:turkey", "760:syria"]).map((s) => s.split(":"));
if (!outDir) {
  console.error("usage: node web/borders.mjs OUT_DIR [ISO_NUMERIC:party ...]");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

// Natural Earth rings are closed and clockwise in TopoJSON's convention; the server normalises
// orientation, refuses holes, so only outer rings are kept (none of these countries has holes).
for (const [id, party] of wanted) {
  const country = countries.features.find((f) => f.id === id);
  if (!country) {
    console.error(`borders.mjs: no country ${id} in world-atlas countries-10m`);
    process.exit(1);
  }
  const polygons = country.geometry.type === "Polygon" ? [country.geometry.coordinates] : country.geometry.coordinates;
  const collection = {
    type: "FeatureCollection",
    title: `${country.properties.name}: sovereign airspace from Natural Earth 10m (world-atlas 2.0.2, public domain)`,
    features: [{
      type: "Feature",
      properties: {
        id: `${party}-airspace`, kind: "zone", owner: party, admitted: [], extent: "land",
        altitude_lower: 0, altitude_upper: 20000,
        time_start: "2000-01-01T00:00:00Z", time_end: "2100-01-01T00:00:00Z",
        source: "Natural Earth 10m via npm world-atlas 2.0.2 countries-10m.json, id " + id,
        licence: "public domain (Natural Earth)",
      },
      geometry: { type: "MultiPolygon", coordinates: polygons.map((p) => [p[0]]) },
    }],
  };
  writeFileSync(`${outDir}/${party}.geojson`, JSON.stringify(collection));
  const vertices = polygons.reduce((n, p) => n + p[0].length, 0);
  console.log(`borders: ${party} (${country.properties.name}): ${polygons.length} polygons, ${vertices} vertices -> ${outDir}/${party}.geojson`);
}

const slug = (name) => name.toLowerCase().normalize("NFD").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
const world = { type: "FeatureCollection", title: "Every country's land of Natural Earth 10m (world-atlas 2.0.2, public domain) as a zone", features: [] };
let total = 0;
for (const c of countries.features) {
  if (!c.geometry) continue;
  const polygons = c.geometry.type === "Polygon" ? [c.geometry.coordinates] : c.geometry.coordinates;
  total += polygons.reduce((n, p) => n + p.reduce((m, r) => m + r.length, 0), 0);
  world.features.push({
    type: "Feature",
    properties: { id: `${slug(c.properties.name)}-airspace`, kind: "zone", owner: slug(c.properties.name), name: c.properties.name,
                  admitted: [], extent: "land", source: "Natural Earth 10m via npm world-atlas 2.0.2, id " + c.id,
                  licence: "public domain (Natural Earth)" },
    geometry: { type: "MultiPolygon", coordinates: polygons },
  });
}
writeFileSync(`${outDir}/world-land.geojson`, JSON.stringify(world));
console.log(`borders: world: ${world.features.length} countries, ${total} vertices -> ${outDir}/world-land.geojson`);
