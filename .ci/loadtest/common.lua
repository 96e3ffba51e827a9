-- Shared by the wrk scripts of .ci/loadtest.sh: thread numbering, word
-- lists from the environment and one machine-readable result line.
local M = {}

-- words splits the environment variable name on spaces.
function M.words(name)
  local out = {}
  for w in string.gmatch(os.getenv(name) or "", "%S+") do
    out[#out + 1] = w
  end
  return out
end

local threads = {}

-- setup runs in wrk's main Lua state once per thread, before init.
function M.setup(thread)
  thread:set("thread_id", #threads)
  threads[#threads + 1] = thread
end

-- done prints one line that loadtest.sh parses. Latencies are microseconds.
-- status_errors is wrk's own count of responses with status >= 400; bad and
-- first_error come from scripts that look at every response.
function M.done(summary, latency, requests)
  local bad, ok, first = 0, 0, ""
  for _, t in ipairs(threads) do
    bad = bad + (t:get("bad") or 0)
    ok = ok + (t:get("ok") or 0)
    local f = t:get("first_error")
    if first == "" and f then first = f end
  end
  local e = summary.errors
  io.write(string.format(
    "LOADTEST requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "status_errors=%d socket_errors=%d timeouts=%d ok=%d bad=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write, e.timeout, ok, bad))
  if first ~= "" then
    io.write("LOADTEST_FIRST_ERROR " .. first .. "\n")
  end
end

return M
