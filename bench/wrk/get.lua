-- get.lua - GET /v1/intents/i-<n> for random stored intents (wrk)
local n = tonumber(os.getenv("DC_INTENTS") or "1000")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("DC_KEY")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/v1/intents/i-" .. math.random(0, n - 1))
end
done = function(summary, latency, requests)
  io.write(string.format("  p50 %.2f ms, p99 %.2f ms, %d requests, %.0f req/s\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.requests / (summary.duration / 1e6)))
  -- every GET names a stored intent: anything but 200 is a failure of the run (bench/api.sh)
  io.write(string.format("  statuses: %d ok, %d not 2xx\n", summary.requests - summary.errors.status,
    summary.errors.status))
  if summary.errors.status > 0 then io.write(string.format("  UNINTENDED %d responses\n", summary.errors.status)) end
end
