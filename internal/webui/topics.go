package webui

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/forum"
)

type topicData struct {
	Topic    *forum.TopicView
	Forum    *ent.Forum
	Author   *ent.User
	Posts    []postItem
	Prev     string // URL of the earlier window
	Next     string // URL of the later window
	ReadUpTo int    // mark the topic read up to this post number (0: nothing new)
	CanReply bool
	Composer composer
	Follow   subscriptionData
}

// composer is the reply form's state, kept when it comes back with problems.
type composer struct {
	TopicID int
	Body    string
	ReplyTo int
	Errors  map[string]string
}

func topicURL(id int) string { return "/t/" + strconv.Itoa(id) }

func postURL(topicID, number int) string {
	return topicURL(topicID) + "?near=" + strconv.Itoa(number) + "#post-" + strconv.Itoa(number)
}

// topicPage shows a window of a topic's posts: from the start, around
// ?near=N, at a ?cursor, or, for a returning reader, around their first
// unread post.
func (s *server) topicPage(rq *request) error {
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	return s.renderTopic(rq, id, composer{TopicID: id}, http.StatusOK)
}

func (s *server) renderTopic(rq *request, id int, c composer, code int) error {
	ctx := rq.r.Context()
	q := rq.r.URL.Query()
	pq := forum.PostQuery{Cursor: q.Get("cursor"), Near: rq.queryInt("near")}
	if rq.user != nil && pq.Cursor == "" && pq.Near == 0 {
		tv, err := s.Forums.Topic(ctx, rq.actor, id, false)
		if err != nil {
			return err
		}
		if tv.LastRead > 0 && tv.LastRead < tv.HighestPostNumber {
			pq.Near = tv.LastRead + 1
		}
	}
	page, err := s.Forums.Posts(ctx, rq.actor, id, pq)
	if err != nil {
		return err
	}
	tv := page.Topic
	d := topicData{Topic: tv, Forum: tv.Edges.Forum, CanReply: authz.CanReply(rq.actor, tv.Edges.Forum, tv.Topic), Composer: c,
		Follow: subscriptionData{Action: topicURL(tv.ID) + "/subscription", Level: tv.Level, Levels: subscriptionLevels}}
	if d.Posts, err = s.postItems(ctx, rq.actor, tv, page.Posts); err != nil {
		return err
	}
	users, err := s.usersOf(ctx, tv.UserID)
	if err != nil {
		return err
	}
	d.Author = users[tv.UserID]
	if page.Prev != "" {
		d.Prev = topicURL(id) + "?" + url.Values{"cursor": {page.Prev}}.Encode()
	}
	if page.Next != "" {
		d.Next = topicURL(id) + "?" + url.Values{"cursor": {page.Next}}.Encode()
	}
	if rq.user != nil && len(page.Posts) > 0 {
		if last := page.Posts[len(page.Posts)-1].PostNumber; last > tv.LastRead {
			d.ReadUpTo = last
		}
	}
	v := rq.view(tv.Title, d)
	v.TopicID = tv.ID
	return rq.renderView(code, "topic", v)
}

// reply posts to a topic. htmx gets a fresh composer and the new post
// appended to the list; a plain form post is sent to the new post.
func (s *server) reply(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	ctx := rq.r.Context()
	c := composer{TopicID: id, Body: rq.form("body")}
	c.ReplyTo, _ = strconv.Atoi(rq.form("reply_to"))
	p, err := s.Forums.CreatePost(ctx, rq.actor, id, forum.PostInput{Body: c.Body, ReplyTo: c.ReplyTo})
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindUnprocessable {
		c.Errors = e.Fields
		if rq.htmx {
			rq.renderFragment(http.StatusUnprocessableEntity, "composer", c)
			return nil
		}
		return s.renderTopic(rq, id, c, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	if !rq.htmx {
		return rq.redirect(postURL(id, p.PostNumber))
	}
	tv, err := s.Forums.Topic(ctx, rq.actor, id, false)
	if err != nil {
		return err
	}
	items, err := s.postItems(ctx, rq.actor, tv, []*ent.Post{p})
	if err != nil {
		return err
	}
	rq.renderFragment(http.StatusOK, "composer-posted", map[string]any{"Composer": composer{TopicID: id}, "Post": items[0]})
	return nil
}

// accept marks the answer of a question topic.
func (s *server) accept(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	postID, _ := strconv.Atoi(rq.form("post_id"))
	ctx := rq.r.Context()
	if _, err := s.Forums.AcceptAnswer(ctx, rq.actor, id, postID); err != nil {
		return err
	}
	p, err := s.Forums.Post(ctx, rq.actor, postID)
	if err != nil {
		return err
	}
	return rq.redirect(postURL(id, p.PostNumber))
}

// markRead moves the reader's read position; the topic page asks once it
// has shown the posts.
func (s *server) markRead(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(rq.form("n"))
	if _, err := s.Forums.MarkRead(rq.r.Context(), rq.actor, id, n); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// loadPost loads one post as the topic page shows it.
func (s *server) loadPost(rq *request) (postItem, error) {
	id, err := rq.pathID("id")
	if err != nil {
		return postItem{}, err
	}
	ctx := rq.r.Context()
	p, err := s.Forums.Post(ctx, rq.actor, id)
	if err != nil {
		return postItem{}, err
	}
	tv, err := s.Forums.Topic(ctx, rq.actor, p.TopicID, false)
	if err != nil {
		return postItem{}, err
	}
	items, err := s.postItems(ctx, rq.actor, tv, []*ent.Post{p})
	if err != nil {
		return postItem{}, err
	}
	return items[0], nil
}

// postFragment is one post: HTML for the live feed, a redirect for people.
func (s *server) postFragment(rq *request) error {
	it, err := s.loadPost(rq)
	if err != nil {
		return err
	}
	if !rq.htmx {
		return rq.redirect(postURL(it.TopicID, it.PostNumber))
	}
	rq.renderFragment(http.StatusOK, "post", it)
	return nil
}

// reactionsFragment is a post's reaction bar, refreshed by the live feed.
func (s *server) reactionsFragment(rq *request) error {
	it, err := s.loadPost(rq)
	if err != nil {
		return err
	}
	rq.renderFragment(http.StatusOK, "reactions", it)
	return nil
}

// react adds (on=1) or withdraws a reaction.
func (s *server) react(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	p, err := s.Forums.React(rq.r.Context(), rq.actor, id, rq.r.PathValue("kind"), rq.form("on") == "1")
	if err != nil {
		return err
	}
	if !rq.htmx {
		return rq.redirect(postURL(p.TopicID, p.PostNumber))
	}
	it, err := s.loadPost(rq)
	if err != nil {
		return err
	}
	rq.renderFragment(http.StatusOK, "reactions", it)
	return nil
}

// bookmark saves (on=1) or forgets a post.
func (s *server) bookmark(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	if err := s.Forums.Bookmark(rq.r.Context(), rq.actor, id, rq.form("on") == "1"); err != nil {
		return err
	}
	it, err := s.loadPost(rq)
	if err != nil {
		return err
	}
	if !rq.htmx {
		return rq.redirect(postURL(it.TopicID, it.PostNumber))
	}
	rq.renderFragment(http.StatusOK, "bookmark", it)
	return nil
}

// subscriptionLevels are how closely a reader may follow a topic, in the
// order the page offers them.
var subscriptionLevels = []string{"watching", "tracking", "normal", "muted"}

// subscribe sets how closely the reader follows a topic.
func (s *server) subscribe(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	tv, err := s.Forums.SetTopicLevel(rq.r.Context(), rq.actor, id, rq.form("level"))
	if err != nil {
		return err
	}
	if !rq.htmx {
		return rq.redirect(topicURL(id))
	}
	rq.renderFragment(http.StatusOK, "subscription", subscriptionData{Action: topicURL(id) + "/subscription", Level: tv.Level, Levels: subscriptionLevels, Saved: true})
	return nil
}

// subscriptionData is the "notify me" form of a topic or a forum.
type subscriptionData struct {
	Action string // where the form posts
	Level  string
	Levels []string
	Saved  bool
}
