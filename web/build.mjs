// build.mjs - assemble web/dist from the page's sources and the npm packages it uses (no network at run time).
// usage: node web/build.mjs [DECONFLICT_CLI] ; with the CLI, the replays of examples/ are computed into dist/replays.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const dist = join(here, "dist");
const require = createRequire(import.meta.url);
mkdirSync(join(dist, "vendor"), { recursive: true });
mkdirSync(join(dist, "data"), { recursive: true });
mkdirSync(join(dist, "replays"), { recursive: true });
cpSync(join(here, "src"), dist, { recursive: true });
const leaflet = dirname(require.resolve("leaflet/dist/leaflet.js"));
for (const f of ["leaflet.js", "leaflet.css"]) cpSync(join(leaflet, f), join(dist, "vendor", f));
cpSync(join(leaflet, "images"), join(dist, "vendor", "images"), { recursive: true });
cpSync(require.resolve("topojson-client/dist/topojson-client.min.js"), join(dist, "vendor", "topojson-client.min.js"));
cpSync(require.resolve("world-atlas/countries-50m.json"), join(dist, "data", "countries-50m.json"));

const cli = process.argv[2];
if (cli) {
  // su24-2015: both accounts against Natural Earth 10m, as `deconflict replay --json` gives them
  const folder = join(root, "examples", "su24-2015");
  const files = ["track-turkey-account.csv", "track-russia-account.csv"];
  const args = ["replay", "--json", "--country", "turkey", "--borders", join(root, "build/borders/world.geojson")];
  for (const f of files) args.push("--tracks", join(folder, f));
  const replay = JSON.parse(execFileSync(cli, args, { encoding: "utf8" }));
  // the page shows one border: each track's crossings of it, and where the border came from
  replay.zone = { source: replay.borders[0].source };
  replay.tracks.forEach((t, i) => {
    t.crossings = replay.results.find((r) => r.track === i && r.border === 0).crossings;
    t.name = files[i];
    t.points = readFileSync(join(folder, files[i]), "utf8").trim().split("\n").slice(1)
      .map((l) => l.split(",")).map((c) => [c[0], Number(c[3]), Number(c[4])]);
  });
  writeFileSync(join(dist, "replays", "su24-2015.json"), JSON.stringify(replay));
  cpSync(join(root, "build/borders/turkey.geojson"), join(dist, "replays", "su24-2015-zone.geojson"));
}
console.log(`web: ${dist} built${cli ? " with the su24-2015 replay" : ""}`);
