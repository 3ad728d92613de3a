-- wrk script of `cargo xtask bench`: the request's method and body come from the environment,
-- and the run's figures are printed as one line of JSON after `BENCH_JSON `.
--
--   BENCH_METHOD=PUT BENCH_BODY_FILE=/path/to/body [BENCH_HEADER="Name: value"] wrk -s report.lua URL
--
-- The URL may carry a query (a pre-signed URL); wrk sends it as given, with Host: HOST:PORT.

local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then
  wrk.method = method
end

-- One extra header, "Name: value" (moto's unverified Authorization).
local header = os.getenv("BENCH_HEADER")
if header and header ~= "" then
  local name, value = header:match("^([^:]+):%s*(.*)$")
  wrk.headers[name] = value
end

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/octet-stream"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"latency_mean_us":%.1f,"latency_p50_us":%d,"latency_p99_us":%d,"latency_max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99), latency.max))
end
