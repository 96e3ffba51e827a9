package httpapi

import (
	"context"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/feedback"
)

// FeedbackItem is a feedback item as the API shows it. Priority, estimate
// and note_count are present for staff only.
type FeedbackItem struct {
	ID              int                   `json:"id"`
	BoardID         int                   `json:"board_id"`
	Title           string                `json:"title"`
	Type            string                `json:"type"`
	Status          string                `json:"status"`
	Areas           []string              `json:"areas"`
	VoteCount       int                   `json:"vote_count"`
	Voted           *bool                 `json:"voted,omitempty"`
	Author          *UserRef              `json:"author"`
	DuplicateOf     *int                  `json:"duplicate_of"`
	ReplyCount      int                   `json:"reply_count"`
	Locked          bool                  `json:"locked"`
	CreatedAt       time.Time             `json:"created_at"`
	StatusChangedAt time.Time             `json:"status_changed_at"`
	History         []FeedbackStatusEntry `json:"history,omitempty"`
	MergedItems     []int                 `json:"merged_items,omitempty"`
	Priority        *string               `json:"priority,omitempty"`
	Estimate        *string               `json:"estimate,omitempty"`
	NoteCount       *int                  `json:"note_count,omitempty"`
}

// FeedbackStatusEntry is one entry of the public status history.
type FeedbackStatusEntry struct {
	From     string    `json:"from"`
	To       string    `json:"to"`
	Response string    `json:"response"`
	By       *UserRef  `json:"by"`
	At       time.Time `json:"at"`
}

// FeedbackNote is an internal note (staff only).
type FeedbackNote struct {
	ID        int       `json:"id"`
	ItemID    int       `json:"item_id"`
	Author    *UserRef  `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

func feedbackUserIDs(items ...*feedback.Item) []int {
	var ids []int
	for _, it := range items {
		ids = append(ids, it.UserID)
		for _, h := range it.History {
			ids = append(ids, h.UserID)
		}
	}
	return ids
}

func (s *server) feedbackViews(ctx context.Context, signedIn bool, items ...*feedback.Item) ([]FeedbackItem, error) {
	users, err := s.usersOf(ctx, feedbackUserIDs(items...)...)
	if err != nil {
		return nil, err
	}
	out := make([]FeedbackItem, len(items))
	for i, it := range items {
		out[i] = feedbackView(it, users, signedIn)
	}
	return out, nil
}

func feedbackView(it *feedback.Item, users map[int]*ent.User, signedIn bool) FeedbackItem {
	v := FeedbackItem{
		ID: it.ID, BoardID: it.ForumID, Title: it.Topic.Title, Type: string(it.Type), Status: string(it.Status),
		Areas: it.Areas, VoteCount: it.VoteCount, Author: userRef(users[it.UserID]), DuplicateOf: it.DuplicateOf,
		ReplyCount: it.Topic.ReplyCount, Locked: it.Topic.Locked, CreatedAt: it.CreatedAt.UTC(), StatusChangedAt: it.StatusChangedAt.UTC(),
		MergedItems: it.MergedItems,
	}
	if signedIn {
		voted := it.Voted
		v.Voted = &voted
	}
	for _, h := range it.History {
		v.History = append(v.History, FeedbackStatusEntry{From: h.FromStatus, To: h.ToStatus, Response: h.Response, By: userRef(users[h.UserID]), At: h.CreatedAt.UTC()})
	}
	if it.Internals {
		p, e, n := string(it.Priority), it.Estimate, it.NoteCount
		v.Priority, v.Estimate, v.NoteCount = &p, &e, &n
	}
	return v
}
