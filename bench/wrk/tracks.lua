-- tracks.lua - POST /v1/tracks batches of 1,000 reports: every aircraft of the thread moves DC_STEP_S
-- (default 5) seconds on, 200 m/s east (wrk). A report every 5 s per aircraft, as in bench/ingest.c:
-- with alerts repeated every 30 s, how often aircraft report sets how many reports raise an alert.
-- DC_LAT0, DC_LON0: the south-west corner of the fleet (default 30 N 0 E: North Africa and Europe);
-- DC_FLEET: a number that sets several wrk processes' aircraft apart (default 0)
local batch = 1000
local lat0 = tonumber(os.getenv("DC_LAT0") or "30")
local lon0 = tonumber(os.getenv("DC_LON0") or "0")
local step_s = tonumber(os.getenv("DC_STEP_S") or "5")
local fleet = tonumber(os.getenv("DC_FLEET") or "0")
local step = 0
local start_time = os.time() - 30 * 86400
wrk.headers["Authorization"] = "Bearer " .. os.getenv("DC_KEY")
wrk.headers["Content-Type"] = "application/json"
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
request = function()
  step = step + 1
  local parts = {}
  -- reports dated a month back, stepping on from there: the server refuses reports dated more
  -- than a minute past their receipt (a party's clock must not make others' reports stale)
  local t = start_time + step * step_s
  local stamp = os.date("!%Y-%m-%dT%H:%M:%SZ", t)
  for i = 1, batch do
    local lat = lat0 + (i % 100) * 0.2
    local lon = lon0 + math.floor(i / 100) * 2 + ((tid or 0) + fleet) * 20 + step * step_s * 0.002
    -- an ICAO 24-bit address, 6 hex digits (the server refuses other names): thread in the top byte
    parts[i] = string.format('{"aircraft":"%06X","time":"%s","position":{"lat":%.5f,"lng":%.5f},' ..
      '"altitude":%d,"ground_speed":200,"track":90}', ((tid or 0) + fleet) * 65536 + i, stamp, lat, lon % 170,
      3000 + (i % 30) * 300)
  end
  return wrk.format("POST", "/v1/tracks", nil, "[" .. table.concat(parts, ",") .. "]")
end
alerts = 0
response = function(status, headers, body)
  local n = body:match('"alerts":(%d+)')
  if n then alerts = alerts + tonumber(n) end
end
done = function(summary, latency, requests)
  local raised = 0
  for _, thread in ipairs(threads) do raised = raised + (thread:get("alerts") or 0) end
  io.write(string.format("  p50 %.2f ms, p99 %.2f ms per batch of %d, %d batches, %.0f reports/s, %.2f alerts a report\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, batch, summary.requests,
    summary.requests * batch / (summary.duration / 1e6), raised / math.max(1, summary.requests * batch)))
  io.write(string.format("  statuses: %d ok, %d not 2xx\n", summary.requests - summary.errors.status,
    summary.errors.status))
  if summary.errors.status > 0 then io.write(string.format("  UNINTENDED %d responses\n", summary.errors.status)) end
end
