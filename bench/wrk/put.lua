-- put.lua - PUT new intents (unique ids, random places and hours among the stored ones) (wrk)
local counter = 0
local thread_id = 0
local threads = {}
wrk.headers["Authorization"] = "Bearer " .. os.getenv("DC_KEY")
wrk.headers["Content-Type"] = "application/json"
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
end
request = function()
  counter = counter + 1
  local lat = 36.0 + math.random() * 2.7
  local lon = 37.0 + math.random() * 3.3
  local hour = math.random(0, 9)
  local body = string.format(
    '{"priority":1,"volumes":[{"outline_circle":{"center":{"lat":%.6f,"lng":%.6f},"radius":800},' ..
    '"altitude_lower":0,"altitude_upper":400,"time_start":"2030-01-01T%02d:00:00Z","time_end":"2030-01-01T%02d:30:00Z"}]}',
    lat, lon, hour, hour)
  return wrk.format("PUT", string.format("/v1/intents/load-%d-%d", tid or 0, counter), nil, body)
end
conflicts = 0
response = function(status, headers, body)
  if status == 409 then conflicts = conflicts + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("  p50 %.2f ms, p99 %.2f ms, %d requests, %.0f req/s\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.requests / (summary.duration / 1e6)))
  -- a refusal (409, the new intent conflicts with a stored one) is a decision; anything else
  -- not 2xx is a failure of the run (bench/api.sh)
  local refused = 0
  for _, thread in ipairs(threads) do refused = refused + (thread:get("conflicts") or 0) end
  local other = summary.errors.status - refused
  io.write(string.format("  statuses: %d written, %d refused (409), %d other\n",
    summary.requests - summary.errors.status, refused, other))
  if other > 0 then io.write(string.format("  UNINTENDED %d responses\n", other)) end
end
