package discovery

import (
	"context"
	"fmt"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/eventcursor"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/event"
)

// Summary counts what a rebuild indexed.
type Summary struct {
	Topics, Posts, Users, Groups, Resources int
}

func (s Summary) String() string {
	return fmt.Sprintf("indexed %d topics, %d posts, %d users, %d groups, %d resources", s.Topics, s.Posts, s.Users, s.Groups, s.Resources)
}

// Reindex rebuilds the whole index from the database into a new generation
// and swaps it in; the live index keeps serving meanwhile. Events that
// commit during the rebuild are applied again afterwards: the indexer's
// cursor is moved back to where the rebuild started (upserts are idempotent).
func (ix *Indexer) Reindex(ctx context.Context, progress func(done, total int)) (Summary, error) {
	var sum Summary
	start, err := event.Latest(ctx, ix.db)
	if err != nil {
		return sum, err
	}
	nTopics, err := ix.db.Topic.Query().Count(ctx)
	if err != nil {
		return sum, err
	}
	nPosts, err := ix.db.Post.Query().Count(ctx)
	if err != nil {
		return sum, err
	}
	nUsers, err := ix.db.User.Query().Count(ctx)
	if err != nil {
		return sum, err
	}
	nGroups, err := ix.db.Group.Query().Count(ctx)
	if err != nil {
		return sum, err
	}
	nResources, err := ix.db.Resource.Query().Count(ctx)
	if err != nil {
		return sum, err
	}
	total := nTopics + nPosts + nUsers + nGroups + nResources
	b, err := ix.index.Rebuild(ctx)
	if err != nil {
		return sum, fmt.Errorf("reindex: %w", err)
	}
	fail := func(err error) (Summary, error) {
		_ = b.Abort(context.WithoutCancel(ctx))
		return sum, fmt.Errorf("reindex: %w", err)
	}
	report := func() {
		if progress != nil {
			progress(sum.Topics+sum.Posts+sum.Users+sum.Groups+sum.Resources, total)
		}
	}
	for after := 0; ; {
		ts, err := ix.db.Topic.Query().Where(topic.IDGT(after)).Order(ent.Asc(topic.FieldID)).Limit(batchSize).WithForum(withGroup).WithTags().All(ctx)
		if err != nil {
			return fail(err)
		}
		if len(ts) == 0 {
			break
		}
		docs, err := ix.topicDocs(ctx, ts)
		if err != nil {
			return fail(err)
		}
		if err := b.Upsert(ctx, docs...); err != nil {
			return fail(err)
		}
		sum.Topics += len(ts)
		after = ts[len(ts)-1].ID
		report()
	}
	for after := 0; ; {
		ps, err := ix.db.Post.Query().Where(post.IDGT(after)).Order(ent.Asc(post.FieldID)).Limit(batchSize).All(ctx)
		if err != nil {
			return fail(err)
		}
		if len(ps) == 0 {
			break
		}
		docs, err := ix.postDocs(ctx, ps)
		if err != nil {
			return fail(err)
		}
		if err := b.Upsert(ctx, docs...); err != nil {
			return fail(err)
		}
		sum.Posts += len(ps)
		after = ps[len(ps)-1].ID
		report()
	}
	for after := 0; ; {
		gs, err := ix.db.Group.Query().Where(group.IDGT(after)).Order(ent.Asc(group.FieldID)).Limit(batchSize).All(ctx)
		if err != nil {
			return fail(err)
		}
		if len(gs) == 0 {
			break
		}
		if err := b.Upsert(ctx, groupDocs(gs)...); err != nil {
			return fail(err)
		}
		sum.Groups += len(gs)
		after = gs[len(gs)-1].ID
		report()
	}
	for after := 0; ; {
		us, err := ix.db.User.Query().Where(user.IDGT(after)).Order(ent.Asc(user.FieldID)).Limit(batchSize).All(ctx)
		if err != nil {
			return fail(err)
		}
		if len(us) == 0 {
			break
		}
		if err := b.Upsert(ctx, userDocs(us)...); err != nil {
			return fail(err)
		}
		sum.Users += len(us)
		after = us[len(us)-1].ID
		report()
	}
	if err := ix.reindexResources(ctx, b, &sum.Resources, report); err != nil {
		return fail(err)
	}
	if err := b.Commit(ctx); err != nil {
		return fail(err)
	}
	// Replay what committed while we read: never move the cursor forward.
	if _, err := ix.db.EventCursor.Update().Where(eventcursor.Name(ConsumerName), eventcursor.PositionGT(start)).
		SetPosition(start).Save(ctx); err != nil {
		return sum, fmt.Errorf("reindex: rewind cursor: %w", err)
	}
	return sum, nil
}
