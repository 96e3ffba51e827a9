package presence

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

var _ Store = (*Redis)(nil)

// Redis is a Store shared by every crn node through one Redis server.
//
// Keys, under the caller's prefix:
//
//	n:{userID}:{scope}  sorted set: node → expiry of that node's presence
//	p:{scope}           sorted set: userID → latest expiry over the user's nodes
//	due                 sorted set: scope → earliest expiry in p:{scope}
//
// Why this shape rather than one sorted set of "user|node" members per
// scope: asking "is this user present from any other node?" on every Touch
// would then mean scanning the scope, and the "online" scope holds every
// connected user. Here every question is a sorted-set lookup: the user's
// nodes live in their own small set, and p:{scope} holds one entry per user
// whose score is the moment the user's last node expires. A user is present
// while that moment lies ahead. The userID segment comes first in n: keys
// because scopes contain colons and user IDs do not, so two (user, scope)
// pairs never share a key.
//
// A user stays in p:{scope} after expiring until a Sweep or a Leave removes
// them, and whoever removes them reports the departure; every change runs
// as one Lua script, so that removal happens once however many nodes sweep
// or leave at the same moment. Sweep reads due to visit only the scopes with
// something expired instead of every scope. The n: keys carry a Redis expiry
// at their last presence, so nothing has to delete them.
//
// Time is the Redis server's clock (TIME inside each script), so clock skew
// between crn nodes cannot make one node expire another's users early. The
// scripts call redis.replicate_commands where it exists so that writes after
// TIME replicate as effects on Redis before 5; from Redis 5 that is the
// default, and from 7 the only mode. Scripts name every key they touch, but
// the keys of one scope do not share a hash slot, so Redis Cluster is not
// supported (the store takes a *redis.Client).
type Redis struct {
	client *redis.Client
	prefix string
	node   string
}

// NewRedis returns a store whose presences belong to node, kept in client
// under keys starting with prefix. The client stays the caller's: Close does
// not close it.
func NewRedis(client *redis.Client, prefix, node string) *Redis {
	return &Redis{client: client, prefix: prefix, node: node}
}

// sweepBatch bounds how many users one sweep script removes, keeping each
// script short and within Lua's unpack limit.
const sweepBatch = 500

// luaPrelude gives scripts now, the server time in unix milliseconds, the
// helper ms to pass integral numbers to Redis, and reschedule to record in
// due when scope's earliest expiry falls.
const luaPrelude = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function ms(x) return string.format('%.0f', x) end
local function reschedule(users, due, scope)
  local first = redis.call('ZRANGE', users, 0, 0, 'WITHSCORES')
  if #first == 0 then
    redis.call('ZREM', due, scope)
  else
    redis.call('ZADD', due, first[2], scope)
  end
end
`

// touchScript: KEYS p:{scope}, due, n:{user}:{scope}; ARGV scope, user,
// node, ttl in ms. Returns 1 when the user had no unexpired presence.
var touchScript = redis.NewScript(luaPrelude + `
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ms(now))
local joined = redis.call('ZCARD', KEYS[3]) == 0
redis.call('ZADD', KEYS[3], ms(now + tonumber(ARGV[4])), ARGV[3])
local last = tonumber(redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')[2])
redis.call('PEXPIRE', KEYS[3], ms(last - now))
redis.call('ZADD', KEYS[1], ms(last), ARGV[2])
reschedule(KEYS[1], KEYS[2], ARGV[1])
if joined then return 1 end
return 0
`)

// leaveScript: KEYS p:{scope}, due, n:{user}:{scope}; ARGV scope, user,
// node. Returns 1 when this call removed the user from the scope.
var leaveScript = redis.NewScript(luaPrelude + `
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ms(now))
local rest = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
if #rest > 0 then
  local last = tonumber(rest[2])
  redis.call('PEXPIRE', KEYS[3], ms(last - now))
  redis.call('ZADD', KEYS[1], ms(last), ARGV[2])
  reschedule(KEYS[1], KEYS[2], ARGV[1])
  return 0
end
local left = redis.call('ZREM', KEYS[1], ARGV[2])
reschedule(KEYS[1], KEYS[2], ARGV[1])
return left
`)

// membersScript: KEYS p:{scope}. Returns the users with an unexpired
// presence.
var membersScript = redis.NewScript(luaPrelude + `
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ms(now), '+inf')
`)

// dueScript: KEYS due. Returns the scopes holding an expired user.
var dueScript = redis.NewScript(luaPrelude + `
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ms(now))
`)

// sweepScript: KEYS p:{scope}, due; ARGV scope, batch size. Removes and
// returns up to batch size expired users.
var sweepScript = redis.NewScript(luaPrelude + `
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ms(now), 'LIMIT', 0, tonumber(ARGV[2]))
if #gone > 0 then
  redis.call('ZREM', KEYS[1], unpack(gone))
end
reschedule(KEYS[1], KEYS[2], ARGV[1])
return gone
`)

// Touch marks userID present in scope from this node until ttl passes.
func (r *Redis) Touch(ctx context.Context, scope string, userID int, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, errTTL
	}
	ttlMS := max(ttl.Milliseconds(), 1)
	joined, err := touchScript.Run(ctx, r.client,
		[]string{r.usersKey(scope), r.dueKey(), r.nodesKey(scope, userID)},
		scope, userID, r.node, ttlMS).Int64()
	if err != nil {
		return false, fmt.Errorf("presence: touch %s: %w", scope, err)
	}
	return joined == 1, nil
}

// Leave removes this node's presence of userID in scope. left is true when
// this call ended the user's presence in the scope: no other node holds an
// unexpired presence and no Sweep or Leave has already reported the
// departure. A user whose presences had all expired unswept is reported by
// whichever of Leave and Sweep comes first.
func (r *Redis) Leave(ctx context.Context, scope string, userID int) (bool, error) {
	left, err := leaveScript.Run(ctx, r.client,
		[]string{r.usersKey(scope), r.dueKey(), r.nodesKey(scope, userID)},
		scope, userID, r.node).Int64()
	if err != nil {
		return false, fmt.Errorf("presence: leave %s: %w", scope, err)
	}
	return left == 1, nil
}

// Members lists the users present in scope, ascending.
func (r *Redis) Members(ctx context.Context, scope string) ([]int, error) {
	raw, err := membersScript.Run(ctx, r.client, []string{r.usersKey(scope)}).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("presence: members %s: %w", scope, err)
	}
	ids, err := parseIDs(raw)
	if err != nil {
		return nil, fmt.Errorf("presence: members %s: %w", scope, err)
	}
	sort.Ints(ids)
	return ids, nil
}

// Sweep removes the users whose every presence has expired and reports
// them, ordered by scope then user. On error it still returns the
// departures it had already removed, since no other node will report them.
func (r *Redis) Sweep(ctx context.Context) ([]Change, error) {
	scopes, err := dueScript.Run(ctx, r.client, []string{r.dueKey()}).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("presence: sweep: %w", err)
	}
	var gone []Change
	for _, scope := range scopes {
		for {
			raw, err := sweepScript.Run(ctx, r.client,
				[]string{r.usersKey(scope), r.dueKey()}, scope, sweepBatch).StringSlice()
			if err != nil {
				sortChanges(gone)
				return gone, fmt.Errorf("presence: sweep %s: %w", scope, err)
			}
			ids, err := parseIDs(raw)
			for _, id := range ids {
				gone = append(gone, Change{Scope: scope, UserID: id})
			}
			if err != nil {
				sortChanges(gone)
				return gone, fmt.Errorf("presence: sweep %s: %w", scope, err)
			}
			if len(raw) < sweepBatch {
				break
			}
		}
	}
	sortChanges(gone)
	return gone, nil
}

// Close does nothing: the Redis client belongs to the caller.
func (r *Redis) Close() error { return nil }

func (r *Redis) dueKey() string { return r.prefix + "due" }

func (r *Redis) usersKey(scope string) string { return r.prefix + "p:" + scope }

func (r *Redis) nodesKey(scope string, userID int) string {
	return r.prefix + "n:" + strconv.Itoa(userID) + ":" + scope
}

// parseIDs parses user IDs, skipping malformed ones and reporting the
// first of them.
func parseIDs(raw []string) ([]int, error) {
	ids := make([]int, 0, len(raw))
	var first error
	for _, s := range raw {
		id, err := strconv.Atoi(s)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("malformed user id %q: %w", s, err)
			}
			continue
		}
		ids = append(ids, id)
	}
	return ids, first
}
