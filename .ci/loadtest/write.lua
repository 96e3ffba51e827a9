-- POSTs replies, rotating over the bearer tokens in LT_TOKENS and the topic
-- ids in LT_TOPICS, so concurrent writers are different users in different
-- topics. Every response is checked: 2xx counts as ok, anything else as bad,
-- and the first bad one is kept for the report.
local common = dofile(os.getenv("LT_LUA_DIR") .. "/common.lua")

local tokens, topics, n = {}, {}, 0
ok, bad, first_error = 0, 0, nil

function setup(thread) common.setup(thread) end

function init(args)
  tokens, topics = common.words("LT_TOKENS"), common.words("LT_TOPICS")
  n = (thread_id or 0) * 7919
end

function request()
  n = n + 1
  local tok = tokens[(n % #tokens) + 1]
  local topic = topics[(math.floor(n / #tokens) + n) % #topics + 1]
  local body = string.format('{"body":"Load test reply %d from wrk thread %d: still seeing this after the update."}', n, thread_id or 0)
  return wrk.format("POST", "/api/v1/topics/" .. topic .. "/posts",
    { ["Content-Type"] = "application/json", Authorization = "Bearer " .. tok }, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    if first_error == nil then
      first_error = status .. " " .. string.sub(string.gsub(body or "", "%s+", " "), 1, 200)
    end
  end
end

done = common.done
