-- cell_get.lua - GET /v1/intents/c<proc>-0-<n>: random intents among DC_GET_MAX that each of
-- DC_PROCS cell_put.lua runs wrote, from its 11th on (wrk calls request() once before the run, so
-- the first id is never sent) (wrk; bench/cluster.sh)
local procs = tonumber(os.getenv("DC_PROCS") or "1")
local n = tonumber(os.getenv("DC_GET_MAX") or "100")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("DC_KEY")
math.randomseed(os.time() + tonumber(os.getenv("DC_PROC") or "0") * 7919)
request = function()
  return wrk.format("GET", string.format("/v1/intents/c%d-0-%d", math.random(0, procs - 1), math.random(11, 10 + n)))
end
done = function(summary, latency, requests)
  io.write(string.format("  p50 %.2f ms, p99 %.2f ms, %d requests, %.0f req/s\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.requests / (summary.duration / 1e6)))
  -- every GET names a stored intent: anything but 200 is a failure of the run
  io.write(string.format("  statuses: %d ok, %d not 2xx\n", summary.requests - summary.errors.status,
    summary.errors.status))
  if summary.errors.status > 0 then io.write(string.format("  UNINTENDED %d responses\n", summary.errors.status)) end
end
