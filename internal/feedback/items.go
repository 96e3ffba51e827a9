package feedback

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbackitem"
	"github.com/crn-dev/crn/ent/feedbackstatuschange"
	"github.com/crn-dev/crn/ent/feedbackvote"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
	forumsvc "github.com/crn-dev/crn/internal/forum"
)

// Item is a feedback item as a reader sees it.
type Item struct {
	*ent.FeedbackItem
	Topic *ent.Topic // with its forum and tags
	Areas []string
	// Voted reports an active vote of the reader that counts for this item.
	Voted bool
	// History, MergedItems and NoteCount are filled by Item (one item) only.
	History     []*ent.FeedbackStatusChange
	MergedItems []int
	NoteCount   int
	// Internals reports whether the reader may see priority, estimate and
	// notes; renderers must leave them out otherwise.
	Internals bool
}

// CreateInput opens an item.
type CreateInput struct {
	Board int // the feedback board (a forum of kind feedback)
	Title string
	Body  string
	Type  string   // idea (default), bug, complaint, question, praise
	Areas []string // product areas, stored as the topic's tags
}

// Create opens a feedback item: a topic in the board with its first post,
// the item, and the author's own vote, in one transaction.
func (s *Service) Create(ctx context.Context, a authz.Actor, in CreateInput) (*Item, error) {
	if a.Guest() {
		return nil, signInFirst()
	}
	if err := authz.WriteRefusal(a); err != nil {
		return nil, err
	}
	if in.Type == "" {
		in.Type = "idea"
	}
	if !validType(in.Type) {
		return nil, apperr.Validation(map[string]string{"type": "must be one of " + oneOf(Types)})
	}
	f, err := s.db.Forum.Get(ctx, in.Board)
	if ent.IsNotFound(err) || (err == nil && !authz.CanReadForum(a, f)) {
		return nil, apperr.Validation(map[string]string{"board": "no such board"})
	}
	if err != nil {
		return nil, apperr.Internal("create feedback", err)
	}
	if f.Kind != forum.KindFeedback {
		return nil, apperr.Validation(map[string]string{"board": "is not a feedback board"})
	}
	areas, err := s.topics.NormalizeTags("areas", in.Areas)
	if err != nil {
		return nil, err
	}
	voter, err := s.db.User.Get(ctx, a.ID)
	if err != nil {
		return nil, apperr.Internal("create feedback", err)
	}
	kind := "discussion"
	if in.Type == "question" {
		kind = "question" // so that an answer can be accepted
	}
	vis := visibilityOf(f)
	tv, _, err := s.topics.CreateTopic(ctx, a, f.ID, forumsvc.TopicInput{
		Title: in.Title, Body: in.Body, Tags: areas, Kind: kind,
		Attach: func(ctx context.Context, tx *ent.Tx, t *ent.Topic, _ *ent.Post) ([]event.Event, error) {
			if err := tx.FeedbackItem.Create().SetID(t.ID).SetForumID(f.ID).SetUserID(a.ID).
				SetType(feedbackitem.Type(in.Type)).SetVoteCount(1).SetStatusChangedAt(t.CreatedAt).
				SetCreatedAt(t.CreatedAt).SetUpdatedAt(t.CreatedAt).Exec(ctx); err != nil {
				return nil, err
			}
			// The author's vote counts.
			if err := s.newVote(tx, t.ID, voter, nil, "", t.CreatedAt).Exec(ctx); err != nil {
				return nil, err
			}
			return []event.Event{
				{Type: event.FeedbackCreated, ActorID: a.ID, ForumID: f.ID, TopicID: t.ID, Visibility: vis,
					Payload: map[string]any{"item_id": t.ID, "type": in.Type, "status": StatusOpen, "areas": areas, "title": t.Title}},
				{Type: event.FeedbackVoted, ActorID: a.ID, ForumID: f.ID, TopicID: t.ID, Visibility: vis,
					Payload: map[string]any{"item_id": t.ID, "vote_count": 1}},
			}, nil
		},
	})
	if err != nil {
		return nil, err
	}
	return s.Item(ctx, a, tv.ID)
}

// newVote builds a vote of u on item with u's CRM snapshot.
func (s *Service) newVote(tx *ent.Tx, itemID int, u *ent.User, recordedBy *int, note string, at time.Time) *ent.FeedbackVoteCreate {
	plan, arr := crmWeights(u.CrmAttributes)
	c := tx.FeedbackVote.Create().SetItemID(itemID).SetOriginItemID(itemID).SetUserID(u.ID).
		SetPlan(plan).SetArr(arr).SetNillableRecordedBy(recordedBy).SetNote(note).SetCreatedAt(at)
	if u.CrmAttributes != nil {
		c.SetCrm(u.CrmAttributes)
	}
	return c
}

// crmWeights reads the plan and the ARR from CRM attributes; ARR may be a
// number or a numeric string, anything else counts as 0.
func crmWeights(attrs map[string]any) (string, float64) {
	plan, _ := attrs["plan"].(string)
	plan = strings.ToLower(strings.TrimSpace(plan))
	if utf8.RuneCountInString(plan) > 40 {
		plan = string([]rune(plan)[:40])
	}
	var arr float64
	switch v := attrs["arr"].(type) {
	case float64:
		arr = v
	case int:
		arr = float64(v)
	case int64:
		arr = float64(v)
	case string:
		arr = parseFloat(v)
	}
	if arr < 0 || arr != arr { // negative or NaN
		arr = 0
	}
	return plan, arr
}

func visibilityOf(f *ent.Forum) string {
	if f.ReadVisibility == forum.ReadVisibilityMembers {
		return event.Members
	}
	return event.Public
}

// load returns the item with its topic (forum and tags loaded) when a may
// read it.
func (s *Service) load(ctx context.Context, a authz.Actor, id int) (*ent.FeedbackItem, *ent.Topic, error) {
	it, err := s.db.FeedbackItem.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil, notFound()
	}
	if err != nil {
		return nil, nil, apperr.Internal("get feedback", err)
	}
	t, err := s.db.Topic.Query().Where(topic.ID(id)).WithForum().WithTags().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, notFound()
	}
	if err != nil {
		return nil, nil, apperr.Internal("get feedback", err)
	}
	if !authz.CanReadForum(a, t.Edges.Forum) || (t.DeletedAt != nil && !a.Moderates(t.ForumID)) {
		return nil, nil, notFound()
	}
	return it, t, nil
}

// Item returns one item with its status history and merged items.
func (s *Service) Item(ctx context.Context, a authz.Actor, id int) (*Item, error) {
	it, t, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	items, err := s.views(ctx, a, []*ent.FeedbackItem{it}, map[int]*ent.Topic{id: t})
	if err != nil {
		return nil, err
	}
	v := items[0]
	if v.History, err = s.db.FeedbackStatusChange.Query().Where(feedbackstatuschange.ItemID(id)).
		Order(ent.Asc(feedbackstatuschange.FieldCreatedAt), ent.Asc(feedbackstatuschange.FieldID)).All(ctx); err != nil {
		return nil, apperr.Internal("get feedback", err)
	}
	if v.MergedItems, err = s.db.FeedbackItem.Query().Where(feedbackitem.DuplicateOf(id)).
		Order(ent.Asc(feedbackitem.FieldID)).IDs(ctx); err != nil {
		return nil, apperr.Internal("get feedback", err)
	}
	if v.Internals {
		if v.NoteCount, err = s.db.FeedbackNote.Query().Where(feedbackNoteItem(id)).Count(ctx); err != nil {
			return nil, apperr.Internal("get feedback", err)
		}
	}
	return v, nil
}

// views wraps items with their topics, areas and the reader's votes.
// topics may hold some topics already; the rest are loaded.
func (s *Service) views(ctx context.Context, a authz.Actor, its []*ent.FeedbackItem, topics map[int]*ent.Topic) ([]*Item, error) {
	if topics == nil {
		topics = map[int]*ent.Topic{}
	}
	var missing []int
	for _, it := range its {
		if topics[it.ID] == nil {
			missing = append(missing, it.ID)
		}
	}
	if len(missing) > 0 {
		ts, err := s.db.Topic.Query().Where(topic.IDIn(missing...)).WithTags().All(ctx)
		if err != nil {
			return nil, apperr.Internal("feedback topics", err)
		}
		for _, t := range ts {
			topics[t.ID] = t
		}
	}
	voted := map[int]bool{}
	if !a.Guest() && len(its) > 0 {
		ids := make([]int, len(its))
		for i, it := range its {
			ids[i] = it.ID
		}
		vs, err := s.db.FeedbackVote.Query().Where(feedbackvote.UserID(a.ID), feedbackvote.ItemIDIn(ids...), feedbackvote.Active(true)).All(ctx)
		if err != nil {
			return nil, apperr.Internal("feedback votes", err)
		}
		for _, v := range vs {
			voted[v.ItemID] = true
		}
	}
	out := make([]*Item, 0, len(its))
	for _, it := range its {
		t := topics[it.ID]
		if t == nil {
			continue
		}
		v := &Item{FeedbackItem: it, Topic: t, Voted: voted[it.ID], Internals: authz.CanSeeFeedbackInternals(a), Areas: []string{}}
		for _, tg := range t.Edges.Tags {
			v.Areas = append(v.Areas, tg.Name)
		}
		out = append(out, v)
	}
	return out, nil
}

// Patch changes an item; nil fields are left alone. Staff may change
// everything; the author may change the type and areas while the item is
// open. Priority and estimate are for staff only. Title and body are the
// topic's and its first post's, edited through the topic endpoints.
type Patch struct {
	Type     *string
	Areas    *[]string
	Priority *string
	Estimate *string
}

// Update applies p to an item.
func (s *Service) Update(ctx context.Context, a authz.Actor, id int, p Patch) (*Item, error) {
	if a.Guest() {
		return nil, signInFirst()
	}
	it, t, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	staff := authz.CanTriageFeedback(a)
	if !staff {
		if p.Priority != nil || p.Estimate != nil {
			return nil, apperr.Forbidden("forbidden", "only staff set priority and estimate")
		}
		if a.ID != it.UserID || !a.CanPost() {
			return nil, apperr.Forbidden("forbidden", "only the author or staff edit this item")
		}
		if string(it.Status) != StatusOpen {
			return nil, apperr.Forbidden("forbidden", "authors edit their items while they are open")
		}
	}
	problems := map[string]string{}
	if p.Type != nil && !validType(*p.Type) {
		problems["type"] = "must be one of " + oneOf(Types)
	}
	if p.Priority != nil && !validPriority(*p.Priority) {
		problems["priority"] = "must be one of " + oneOf(Priorities)
	}
	if p.Estimate != nil {
		*p.Estimate = strings.TrimSpace(*p.Estimate)
		checkText("estimate", *p.Estimate, 0, s.limits.EstimateMax, false, problems)
	}
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	var areas []string
	if p.Areas != nil {
		if areas, err = s.topics.NormalizeTags("areas", *p.Areas); err != nil {
			return nil, err
		}
	}
	err = s.tx(ctx, "update feedback", func(tx *ent.Tx) ([]event.Event, error) {
		u := tx.FeedbackItem.UpdateOneID(id).SetUpdatedAt(s.now())
		var changes []string
		if p.Type != nil && *p.Type != string(it.Type) {
			u.SetType(feedbackitem.Type(*p.Type))
			changes = append(changes, "type")
			kind := topic.KindDiscussion
			if *p.Type == "question" {
				kind = topic.KindQuestion
			}
			if kind != t.Kind {
				if err := tx.Topic.UpdateOneID(id).SetKind(kind).Exec(ctx); err != nil {
					return nil, err
				}
			}
		}
		if p.Areas != nil {
			if err := forumsvc.SetTopicTags(ctx, tx, id, areas); err != nil {
				return nil, err
			}
			changes = append(changes, "areas")
		}
		if p.Priority != nil && *p.Priority != string(it.Priority) {
			u.SetPriority(feedbackitem.Priority(*p.Priority))
			changes = append(changes, "priority")
		}
		if p.Estimate != nil && *p.Estimate != it.Estimate {
			u.SetEstimate(*p.Estimate)
			changes = append(changes, "estimate")
		}
		if len(changes) == 0 {
			return nil, nil
		}
		if err := u.Exec(ctx); err != nil {
			return nil, err
		}
		// Priority and estimate are internal: a change to them alone is
		// announced to staff only.
		vis := visibilityOf(t.Edges.Forum)
		public := false
		for _, c := range changes {
			public = public || c == "type" || c == "areas"
		}
		if !public {
			vis = event.Staff
		}
		return []event.Event{{Type: event.FeedbackUpdated, ActorID: a.ID, ForumID: t.ForumID, TopicID: id, Visibility: vis,
			Payload: map[string]any{"item_id": id, "changes": changes}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Item(ctx, a, id)
}

// checkText validates free text by length in characters; multiline allows newlines and tabs.
func checkText(field, v string, minLen, maxLen int, multiline bool, problems map[string]string) {
	if !utf8.ValidString(v) {
		problems[field] = "is not valid UTF-8"
		return
	}
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	switch {
	case n < minLen:
		problems[field] = "is required"
		return
	case n > maxLen:
		problems[field] = "is too long (at most " + itoa(maxLen) + " characters)"
		return
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			problems[field] = "contains control characters"
			return
		}
	}
}

// usersByName resolves a username (case-insensitively).
func (s *Service) userByName(ctx context.Context, name string) (*ent.User, error) {
	u, err := s.db.User.Query().Where(user.UsernameKey(strings.ToLower(strings.TrimSpace(name)))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return u, err
}
