package pubsub

import "github.com/redis/go-redis/v9"

// The Lua scripts of the Redis broker. IDs travel as decimal strings and are
// compared with tonumber, exact up to MaxID; numbers computed in Lua are
// formatted with %.0f, since tostring would switch to exponent notation.
//
// A channel's stream holds entries "<id>-0" with the fields t (when Redis
// accepted it, in ms; always first), e (event), d (data), a (At, unix ns).
// Its meta hash holds l (last ID accepted), w (highest ID dropped by
// retention) and u (set when the meta was created: IDs below it have an
// unknown history).

// publishScript appends messages to their channel streams and, for each one
// accepted, to the fan-out stream; it returns 1 (accepted) or 0 (duplicate)
// per message.
//
// KEYS: fanout, then stream and meta of each message.
// ARGV: maxLen, maxAgeMs, metaTTLMs, fanoutMaxLen, then channel, id, event,
// data, at of each message.
var publishScript = redis.NewScript(`
local maxLen = tonumber(ARGV[1])
local maxAge = tonumber(ARGV[2])
local metaTTL = ARGV[3]
local fanoutMaxLen = ARGV[4]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local nowStr = string.format('%.0f', now)
local cutoff = now - maxAge
local accepted = {}
for i = 1, (#ARGV - 4) / 5 do
  local stream, meta = KEYS[2 * i], KEYS[2 * i + 1]
  local a = 4 + (i - 1) * 5
  local channel, id, event, data, at = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  accepted[i] = 0
  local last = redis.call('HGET', meta, 'l')
  if (not last) or tonumber(last) < tonumber(id) then
    local existed = redis.call('EXISTS', stream) == 1
    -- Redis itself refuses an ID not above the stream's top: a duplicate.
    local added = redis.pcall('XADD', stream, id .. '-0', 't', nowStr, 'e', event, 'd', data, 'a', at)
    if type(added) == 'table' and added.err then
      if not string.find(added.err, 'equal or smaller', 1, true) then
        return redis.error_reply(added.err)
      end
    else
      accepted[i] = 1
      if last and not existed then
        -- The stream expired (idle past MaxAge): all of it was dropped.
        redis.call('HSET', meta, 'w', last)
      elseif not last and existed then
        -- The meta was lost (evicted) but not the stream: assume everything
        -- before the stream's first entry was dropped.
        local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1][1]
        redis.call('HSET', meta, 'w', string.format('%.0f', tonumber(string.match(first, '^%d+')) - 1))
      elseif not last then
        redis.call('HSET', meta, 'u', id)
      end
      -- Trim the front: beyond maxLen, or older than maxAge.
      local excess = redis.call('XLEN', stream) - maxLen
      local dropped, kept = nil, nil
      local from, count = '-', math.max(excess, 0) + 2
      while not kept do
        local batch = redis.call('XRANGE', stream, from, '+', 'COUNT', count)
        if #batch == 0 then break end
        for _, e in ipairs(batch) do
          if excess > 0 or tonumber(e[2][2]) < cutoff then
            dropped = e[1]
            excess = excess - 1
          else
            kept = e[1]
            break
          end
        end
        from, count = '(' .. batch[#batch][1], 100
      end
      if dropped and kept then
        redis.call('XTRIM', stream, 'MINID', kept)
        redis.call('HSET', meta, 'w', string.match(dropped, '^%d+'))
      end
      redis.call('PEXPIRE', stream, maxAge)
      redis.call('HSET', meta, 'l', id)
      redis.call('PEXPIRE', meta, metaTTL)
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', fanoutMaxLen, '*', 'c', channel, 'i', id, 'e', event, 'd', data, 'a', at)
    end
  end
end
return accepted
`)
