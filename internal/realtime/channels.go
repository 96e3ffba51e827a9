package realtime

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/pubsub"
)

// Access answers whether an actor may read a forum, a topic or a group's
// content, and reloads a user's group memberships when they change; the
// forum service implements it.
type Access interface {
	CanReadForum(ctx context.Context, a authz.Actor, forumID int) bool
	CanReadTopic(ctx context.Context, a authz.Actor, topicID int) bool
	CanReadGroup(ctx context.Context, a authz.Actor, groupID int) bool
	// GroupRoles returns a user's active group roles by group id and the
	// forums of the groups they own or moderate (authz.Actor.WithGroups).
	GroupRoles(ctx context.Context, userID int) (map[int]string, []int, error)
}

// allowed reports whether a may subscribe to ch.
func allowed(ctx context.Context, acc Access, a authz.Actor, ch channel) bool {
	switch ch.kind {
	case "forum":
		return acc.CanReadForum(ctx, a, ch.id)
	case "topic":
		return acc.CanReadTopic(ctx, a, ch.id)
	case "feedback": // a feedback board is a forum
		return acc.CanReadForum(ctx, a, ch.id)
	case "user":
		return !a.Guest() && a.ID == ch.id
	case "group":
		return acc.CanReadGroup(ctx, a, ch.id)
	case "moderation":
		return authz.CanReview(a)
	case "presence":
		return true
	}
	return false
}

// visibleTo is the cheap per-message check at fan-out, on top of the
// subscribe-time check: it stops a members-only event reaching a guest even
// if a channel's visibility changed under a subscription.
func visibleTo(vis string, a authz.Actor) bool {
	switch vis {
	case "", event.Public:
		return true
	case event.Members:
		return !a.Guest()
	case event.Staff:
		return a.Staff()
	}
	if len(vis) > 5 && vis[:5] == "user:" {
		return !a.Guest() && vis[5:] == strconv.Itoa(a.ID)
	}
	if len(vis) > 6 && vis[:6] == "group:" {
		id, err := strconv.Atoi(vis[6:])
		return a.Admin() || (err == nil && a.MemberOf(id))
	}
	return a.Admin()
}

// fanoutMeta is what the fan-out reads of an event's data to decide who
// receives it.
type fanoutMeta struct {
	Visibility string `json:"visibility"`
	UserID     int    `json:"user_id"`
	ForumID    int    `json:"forum_id"`
	Payload    struct {
		GroupID int `json:"group_id"` // moderation events about a group's content
	} `json:"payload"`
}

// deliverable reports whether a subscriber of ch receives an event. On the
// moderation channel, admins and moderators receive what visibleTo lets
// them (all of it: the channel's events are staff-visible), while a
// group's owners and moderators receive only the events of their groups:
// those of their groups' forums, or naming one of their groups in
// payload.group_id (a group resource's review item), staff-visible or not.
func deliverable(ch string, m fanoutMeta, a authz.Actor) bool {
	if ch != "moderation" || authz.CanModerateUsers(a) {
		return visibleTo(m.Visibility, a)
	}
	var mine bool
	if m.ForumID != 0 {
		mine = a.GroupModeratedForums[m.ForumID]
	} else {
		mine = m.Payload.GroupID != 0 && authz.CanModerateGroup(a, m.Payload.GroupID)
	}
	return mine && (m.Visibility == event.Staff || visibleTo(m.Visibility, a))
}

// wireData is what a client receives as an event's data: the payload, the
// ids it is about, and who may see it (the hub reads "visibility" once per
// message to filter at fan-out).
type wireData struct {
	Visibility string         `json:"visibility"`
	ActorID    int            `json:"actor_id,omitempty"`
	ForumID    int            `json:"forum_id,omitempty"`
	TopicID    int            `json:"topic_id,omitempty"`
	PostID     int            `json:"post_id,omitempty"`
	UserID     int            `json:"user_id,omitempty"`
	GroupID    int            `json:"group_id,omitempty"`
	Payload    map[string]any `json:"payload,omitempty"`
}

// channelsOf decides on which channels an outbox event is published.
func channelsOf(e event.Event) []string {
	topic := "topic:" + strconv.Itoa(e.TopicID)
	forum := "forum:" + strconv.Itoa(e.ForumID)
	switch e.Type {
	case event.PostCreated, event.TopicCreated, event.TopicUpdated, event.TopicMoved:
		return []string{topic, forum}
	case event.PostEdited, event.PostDeleted, event.PostRestored, event.ReactionAdded, event.ReactionRemoved, event.TopicAccepted:
		return []string{topic}
	case event.ForumCountsUpdated:
		// Also on the channels of the topics whose last activity it
		// moved, so their cached pages are dropped (forum.CountsConsumer).
		out := []string{forum}
		switch ids := e.Payload["topic_ids"].(type) {
		case []any: // as decoded from the outbox
			for _, v := range ids {
				if id, ok := v.(float64); ok && id > 0 {
					out = append(out, "topic:"+strconv.Itoa(int(id)))
				}
			}
		case []int:
			for _, id := range ids {
				out = append(out, "topic:"+strconv.Itoa(id))
			}
		}
		return out
	case event.ForumCreated, event.ForumUpdated, event.ForumDeleted:
		return []string{forum}
	case event.TopicRead, event.NotificationCreated:
		return []string{"user:" + strconv.Itoa(e.UserID)}
	case event.PostHidden, event.PostUnhidden:
		return []string{topic, "moderation"}
	case event.TopicMerged, event.TopicSplit:
		return []string{topic, forum, "moderation"}
	case event.UserSuspended:
		// Every node sees it and closes the user's sockets (Hub.onMessage).
		return []string{"user:" + strconv.Itoa(e.UserID), "moderation"}
	case event.FlagCreated, event.ModerationQueueUpdate, event.PostScreened, event.UserSilenced,
		event.UserUnsilenced, event.UserUnsuspended, event.AutomodUpdated:
		return []string{"moderation"}
	case event.FeedbackCreated, event.FeedbackUpdated, event.FeedbackStatusChanged, event.FeedbackVoted, event.FeedbackUnvoted,
		event.FeedbackMerged, event.FeedbackUnmerged, event.FeedbackCSAT, event.FeedbackNoteAdded:
		// Staff-only ones (notes, CSAT, triage) are filtered per
		// subscriber by visibility, like every event.
		return []string{"feedback:" + strconv.Itoa(e.ForumID), topic}
	}
	return nil
}

// SystemChannel carries the events no client channel does (a profile
// changed, an account was created…) so that every node still hears of them,
// e.g. to drop cached responses. Clients cannot subscribe to it.
const SystemChannel = "system"

// groupChannelOf is the group channel an event also goes to: every group
// event, and new topics and posts in the group's forums (its activity).
func groupChannelOf(e event.Event) string {
	if e.GroupID == 0 {
		return ""
	}
	switch e.Type {
	case event.TopicCreated, event.PostCreated, event.ResourceCreated, event.ResourceVersionAdded:
		return "group:" + strconv.Itoa(e.GroupID)
	}
	if strings.HasPrefix(string(e.Type), "group.") {
		return "group:" + strconv.Itoa(e.GroupID)
	}
	return ""
}

// Publisher is the outbox consumer that publishes committed events to the
// broker, and from there to every node's sockets.
type Publisher struct {
	Broker pubsub.Broker
}

// Name implements event.Consumer.
func (Publisher) Name() string { return "realtime" }

// Handle implements event.Consumer. The broker drops ids it has already
// seen per channel, so redelivery after a crash reaches no client twice.
func (p Publisher) Handle(ctx context.Context, evs []event.Event) error {
	var msgs []pubsub.Message
	for _, e := range evs {
		chans := channelsOf(e)
		if g := groupChannelOf(e); g != "" {
			chans = append(chans, g)
		}
		if len(chans) == 0 {
			chans = []string{SystemChannel}
		}
		data, err := json.Marshal(wireData{
			Visibility: e.Visibility, ActorID: e.ActorID, ForumID: e.ForumID, TopicID: e.TopicID,
			PostID: e.PostID, UserID: e.UserID, GroupID: e.GroupID, Payload: e.Payload,
		})
		if err != nil {
			return err
		}
		for _, ch := range chans {
			msgs = append(msgs, pubsub.Message{Channel: ch, ID: e.ID, Event: string(e.Type), Data: data, At: e.CreatedAt})
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return p.Broker.Publish(ctx, msgs...)
}
