package pubsub

import "container/list"

// maxTombstones bounds the channels Memory remembers after forgetting their
// backlog: about 100 bytes each, so some 10 MB at most.
const maxTombstones = 100_000

// tombstones remembers the last ID of channels whose backlog was forgotten
// for being idle longer than MaxAge, so that Since still knows their
// messages were dropped and Publish still drops their duplicates. It is an
// LRU: past its capacity the least recently used tombstone is evicted, and
// evicted records that the broker no longer knows the history of every
// channel it has no backlog or tombstone for.
type tombstones struct {
	max     int
	order   *list.List // of *tombstone, most recently used first
	byName  map[string]*list.Element
	evicted int64
}

type tombstone struct {
	channel string
	lastID  int64
}

func newTombstones(max int) *tombstones {
	return &tombstones{max: max, order: list.New(), byName: make(map[string]*list.Element)}
}

// put remembers channel's last ID.
func (t *tombstones) put(channel string, lastID int64) {
	if e, ok := t.byName[channel]; ok {
		e.Value.(*tombstone).lastID = lastID
		t.order.MoveToFront(e)
		return
	}
	t.byName[channel] = t.order.PushFront(&tombstone{channel: channel, lastID: lastID})
	for t.order.Len() > t.max {
		oldest := t.order.Back()
		t.order.Remove(oldest)
		delete(t.byName, oldest.Value.(*tombstone).channel)
		t.evicted++
	}
}

// get returns channel's last ID if it has a tombstone.
func (t *tombstones) get(channel string) (int64, bool) {
	e, ok := t.byName[channel]
	if !ok {
		return 0, false
	}
	t.order.MoveToFront(e)
	return e.Value.(*tombstone).lastID, true
}

// take removes channel's tombstone, returning its last ID.
func (t *tombstones) take(channel string) (int64, bool) {
	e, ok := t.byName[channel]
	if !ok {
		return 0, false
	}
	t.order.Remove(e)
	delete(t.byName, channel)
	return e.Value.(*tombstone).lastID, true
}
