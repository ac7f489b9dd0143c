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
end
