-- GETs rotating over the space-separated paths in LT_PATHS. With LT_TOKENS
-- set, requests also rotate over those bearer tokens (signed-in readers);
-- with LT_GZIP=1 they ask for gzip, as browsers do.
-- Requests are formatted once at start so wrk spends its CPU on sending.
local common = dofile(os.getenv("LT_LUA_DIR") .. "/common.lua")

local reqs, n = {}, 0

function setup(thread) common.setup(thread) end

function init(args)
  local paths, tokens = common.words("LT_PATHS"), common.words("LT_TOKENS")
  local function headers(token)
    local h = {}
    if os.getenv("LT_GZIP") == "1" then h["Accept-Encoding"] = "gzip" end
    if token then h["Authorization"] = "Bearer " .. token end
    return h
  end
  if #tokens == 0 then
    for _, p in ipairs(paths) do reqs[#reqs + 1] = wrk.format("GET", p, headers(nil)) end
  else
    -- Pair paths and tokens so that every token reads every path.
    for i = 0, #paths * #tokens - 1 do
      local p = paths[(i % #paths) + 1]
      local t = tokens[(math.floor(i / #paths) + i) % #tokens + 1]
      reqs[#reqs + 1] = wrk.format("GET", p, headers(t))
    end
  end
  n = thread_id or 0
end

function request()
  n = n + 1
  return reqs[(n % #reqs) + 1]
end

done = common.done
