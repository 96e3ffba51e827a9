package forum

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Replies authorize against a topic row this node read lately instead of
// reading it first (a query, ~6 % of a reply's CPU in crn plus
// PostgreSQL's share). The cache is only a guess: the reply's transaction
// locks the row, reads back what authorization depends on (bumped) and
// decides again on that, so a stale entry can make a reply fail or retry,
// never pass where the current row would refuse it.
const (
	replyTopicTTL = 2 * time.Second
	replyTopicMax = 4096 // entries; the cache is emptied when it would grow past this
)

type topicCache struct {
	mu sync.Mutex
	m  map[int]cachedTopic
}

type cachedTopic struct {
	t  *ent.Topic // without edges; shared, so never modified
	at time.Time
}

// topicForReply is topicForWrite for CreatePost, answered from the cache
// when it holds a fresh row. It returns a copy the caller may modify.
func (s *Service) topicForReply(ctx context.Context, a authz.Actor, id int) (*ent.Topic, error) {
	c := &s.topics
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || time.Since(e.at) >= replyTopicTTL {
		t, err := s.topicForWrite(ctx, a, id)
		if err != nil {
			return nil, err
		}
		kept := *t
		kept.Edges = ent.TopicEdges{}
		c.mu.Lock()
		if c.m == nil || len(c.m) >= replyTopicMax {
			c.m = map[int]cachedTopic{}
		}
		c.m[id] = cachedTopic{t: &kept, at: time.Now()}
		c.mu.Unlock()
		return t, nil
	}
	t := *e.t
	f, err := s.forumOf(ctx, t.ForumID)
	if err != nil {
		return nil, err
	}
	t.Edges.Forum = f
	if !authz.CanReadForum(a, f) || !authz.CanSeeTopic(a, &t) {
		return nil, notFound("topic")
	}
	return &t, nil
}

// forgetTopics drops the cached rows of the topics that events of this
// node's transactions changed. Other nodes' changes wait for the TTL; the
// reply's own transaction checks the row again in any case.
func (s *Service) forgetTopics(evs []event.Event) {
	c := &s.topics
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range evs {
		if e.TopicID != 0 && strings.HasPrefix(string(e.Type), "topic.") {
			delete(c.m, e.TopicID)
		}
	}
}
