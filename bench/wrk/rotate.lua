-- wrk script for bench/load_bench.py: rotate through request paths read from a file, one per line.
--
--   wrk -t2 -c16 -d10s --latency -s bench/wrk/rotate.lua http://127.0.0.1:PORT -- PATHS START STEP
--
-- Thread n (0-based) requests paths START+n, START+n+STEP, ... (STEP = the number of wrk threads), so
-- threads never send the same path and a slice of an all-distinct list stays distinct; the list wraps
-- around at its end. done() prints one WRK_JSON line with the counts and latency percentiles (microseconds).

local threads_started = 0

function setup(thread)
  thread:set("thread_number", threads_started)
  threads_started = threads_started + 1
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  step = tonumber(args[3] or "1")
  position = tonumber(args[2] or "0") + (thread_number or 0)
end

function request()
  local path = paths[(position % #paths) + 1]
  position = position + step
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, '
      .. '"timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean
  ))
end
