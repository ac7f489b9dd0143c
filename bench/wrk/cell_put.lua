-- cell_put.lua - PUT new intents into one congested cell of ~1 km² (45.0 N 10.0 E), each in a
-- 10 s slot of its own: every one is decided against the cell's others, none conflicts (wrk;
-- bench/cluster.sh runs one wrk a deconflictd instance, DC_PROC telling them apart)
local proc = tonumber(os.getenv("DC_PROC") or "0")
local counter = 0
local threads = {}
wrk.headers["Authorization"] = "Bearer " .. os.getenv("DC_KEY")
wrk.headers["Content-Type"] = "application/json"
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(os.time() + proc * 7919 + (tid or 0) * 104729)
end
local epoch_2030 = 1893456000
request = function()
  counter = counter + 1
  -- (proc, thread) owns a run of 100,000 slots: a slot, and an id, belong to one request
  local slot = ((proc * 16) + (tid or 0)) * 100000 + counter
  local t = epoch_2030 + slot * 10
  local lat = 45.0 + math.random() * 0.009  -- 1 km north-south
  local lon = 10.0 + math.random() * 0.0127 -- 1 km east-west at 45 N
  local body = string.format(
    '{"priority":1,"volumes":[{"outline_circle":{"center":{"lat":%.6f,"lng":%.6f},"radius":50},' ..
    '"altitude_lower":0,"altitude_upper":120,"time_start":"%s","time_end":"%s"}]}',
    lat, lon, os.date("!%Y-%m-%dT%H:%M:%SZ", t), os.date("!%Y-%m-%dT%H:%M:%SZ", t + 9))
  return wrk.format("PUT", string.format("/v1/intents/c%d-%d-%d", proc, tid or 0, counter), nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("  p50 %.2f ms, p99 %.2f ms, %d requests, %.0f req/s\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.requests / (summary.duration / 1e6)))
  -- no intent conflicts with another (each has its own slot): anything but 201 is a failure
  io.write(string.format("  statuses: %d written, %d not 2xx\n", summary.requests - summary.errors.status,
    summary.errors.status))
  if summary.errors.status > 0 then io.write(string.format("  UNINTENDED %d responses\n", summary.errors.status)) end
end
