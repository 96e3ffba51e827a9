package webui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/feedback"
	"github.com/crn-dev/crn/internal/forum"
)

// Feedback boards: the list of items (sorted and filtered), one item with
// its vote button, status timeline and discussion, and the new-item form
// with similar items. Everything goes through feedback.Service, which
// decides what the reader may see and do.

func feedbackURL(id int) string { return "/feedback/" + strconv.Itoa(id) }

// boardFilter is the list's query, kept in every link of the page.
type boardFilter struct {
	Board  int
	Sort   string
	Type   string
	Status string
	Area   string
}

func (f boardFilter) values() url.Values {
	v := url.Values{}
	if f.Board > 0 {
		v.Set("board", strconv.Itoa(f.Board))
	}
	if f.Sort != "" && f.Sort != feedback.SortVotes {
		v.Set("sort", f.Sort)
	}
	for k, s := range map[string]string{"type": f.Type, "status": f.Status, "area": f.Area} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// With returns the page's URL with one setting changed, for the tabs.
func (f boardFilter) With(key, value string) string {
	v := f.values()
	if value == "" || (key == "sort" && value == feedback.SortVotes) {
		v.Del(key)
	} else {
		v.Set(key, value)
	}
	if len(v) == 0 {
		return "/feedback"
	}
	return "/feedback?" + v.Encode()
}

type boardData struct {
	Boards   []*ent.Forum
	Names    map[int]string // board names by id
	Board    *ent.Forum     // nil: every board
	Filter   boardFilter
	Items    []*feedback.Item
	Next     string
	Sorts    []string
	Types    []string
	Statuses []string
	Insights bool // the reader may export the insights (staff)
}

// feedbackBoards returns the feedback boards the reader may read.
func (s *server) feedbackBoards(rq *request) ([]*ent.Forum, error) {
	all, err := s.Forums.Forums(rq.r.Context(), rq.actor)
	if err != nil {
		return nil, err
	}
	var out []*ent.Forum
	for _, f := range all {
		if string(f.Kind) == "feedback" {
			out = append(out, f)
		}
	}
	return out, nil
}

// boardPage lists feedback items: every board or one (?board=), sorted by
// votes, trending or newest, filtered by type, status and area.
func (s *server) boardPage(rq *request) error {
	if s.Feedback == nil {
		return errNotFound
	}
	q := rq.r.URL.Query()
	f := boardFilter{Board: rq.queryInt("board"), Sort: q.Get("sort"), Type: q.Get("type"), Status: q.Get("status"), Area: q.Get("area")}
	if f.Sort == "" {
		f.Sort = feedback.SortVotes
	}
	boards, err := s.feedbackBoards(rq)
	if err != nil {
		return err
	}
	d := boardData{Boards: boards, Filter: f, Sorts: []string{feedback.SortVotes, feedback.SortTrending, feedback.SortNewest},
		Types: feedback.Types, Statuses: feedback.Statuses, Names: map[int]string{},
		Insights: authz.CanViewFeedbackInsights(rq.actor)}
	for _, b := range boards {
		d.Names[b.ID] = b.Name
	}
	title := rq.lang.T("feedback.title")
	if f.Board > 0 {
		i := slices.IndexFunc(boards, func(b *ent.Forum) bool { return b.ID == f.Board })
		if i < 0 {
			return errNotFound
		}
		d.Board = boards[i]
		title = d.Board.Name
	}
	lq := feedback.ListQuery{Board: f.Board, Sort: f.Sort, Area: f.Area, Cursor: q.Get("cursor")}
	if f.Type != "" {
		lq.Types = []string{f.Type}
	}
	if f.Status != "" {
		lq.Statuses = []string{f.Status}
	}
	page, err := s.Feedback.List(rq.r.Context(), rq.actor, lq)
	if err != nil {
		return err
	}
	d.Items = page.Items
	if page.Next != "" {
		v := f.values()
		v.Set("cursor", page.Next)
		d.Next = "/feedback?" + v.Encode()
	}
	return rq.render("feedback", title, d)
}

type feedbackItemData struct {
	Item      *feedback.Item
	Forum     *ent.Forum
	Author    *ent.User
	People    map[int]*ent.User // authors of the timeline and the notes
	Posts     []postItem
	More      string // the discussion continues on the topic page
	CanVote   bool
	CanTriage bool
	Next      []string // statuses the item may move to
	Notes     []*ent.FeedbackNote
	Errors    map[string]string
	Response  string
	NoteBody  string
	Composer  composer
	CanReply  bool
}

// feedbackItemPage shows one item: its votes, status timeline with the
// official responses, the discussion (the topic's posts) and, for staff,
// internal notes and the status form.
func (s *server) feedbackItemPage(rq *request) error {
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	return s.renderFeedbackItem(rq, id, http.StatusOK, func(*feedbackItemData) {})
}

func (s *server) renderFeedbackItem(rq *request, id, code int, edit func(*feedbackItemData)) error {
	if s.Feedback == nil {
		return errNotFound
	}
	ctx := rq.r.Context()
	it, err := s.Feedback.Item(ctx, rq.actor, id)
	if err != nil {
		return err
	}
	page, err := s.Forums.Posts(ctx, rq.actor, id, forum.PostQuery{})
	if err != nil {
		return err
	}
	tv := page.Topic
	d := &feedbackItemData{Item: it, Forum: tv.Edges.Forum, CanVote: authz.CanVoteFeedback(rq.actor) && it.DuplicateOf == nil,
		CanTriage: authz.CanTriageFeedback(rq.actor), Next: feedback.Transitions[string(it.Status)],
		Composer: composer{TopicID: id}, CanReply: authz.CanReply(rq.actor, tv.Edges.Forum, tv.Topic)}
	if d.Posts, err = s.postItems(ctx, rq.actor, tv, page.Posts); err != nil {
		return err
	}
	if page.Next != "" {
		d.More = topicURL(id)
	}
	if it.Internals {
		if d.Notes, err = s.Feedback.Notes(ctx, rq.actor, id); err != nil {
			return err
		}
	}
	ids := []int{it.UserID}
	for _, h := range it.History {
		ids = append(ids, h.UserID)
	}
	for _, n := range d.Notes {
		ids = append(ids, n.UserID)
	}
	if d.People, err = s.usersOf(ctx, ids...); err != nil {
		return err
	}
	d.Author = d.People[it.UserID]
	edit(d)
	return rq.renderView(code, "feedbackitem", rq.view(tv.Title, d))
}

// voteFeedback adds (on=1) or withdraws (on=0) the reader's vote. htmx gets
// the vote box back; a plain form post returns to the item.
func (s *server) voteFeedback(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Feedback == nil {
		return errNotFound
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	ctx := rq.r.Context()
	var it *feedback.Item
	if rq.form("on") == "0" {
		it, err = s.Feedback.Unvote(ctx, rq.actor, id, feedback.VoteInput{})
	} else {
		it, err = s.Feedback.Vote(ctx, rq.actor, id, feedback.VoteInput{})
	}
	if err != nil {
		return err
	}
	if !rq.htmx {
		return rq.redirect(feedbackURL(id))
	}
	rq.renderFragment(http.StatusOK, "feedback-vote", &feedbackItemData{Item: it, CanVote: true})
	return nil
}

// feedbackStatus moves an item along the status machine with an official
// response (staff).
func (s *server) feedbackStatus(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Feedback == nil {
		return errNotFound
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	to, response := rq.form("status"), rq.form("response")
	_, err = s.Feedback.ChangeStatus(rq.r.Context(), rq.actor, id, to, response)
	if e := apperr.As(err); e != nil && (e.Kind == apperr.KindUnprocessable || e.Kind == apperr.KindConflict) {
		return s.renderFeedbackItem(rq, id, status(e.Kind), func(d *feedbackItemData) {
			d.Errors, d.Response = e.Fields, response
			if d.Errors == nil {
				d.Errors = map[string]string{"status": rq.lang.Err(e.Code, e.Message)}
			}
		})
	}
	if err != nil {
		return err
	}
	return rq.redirect(feedbackURL(id) + "#timeline")
}

// feedbackNote adds an internal note (staff).
func (s *server) feedbackNote(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Feedback == nil {
		return errNotFound
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	body := rq.form("body")
	_, err = s.Feedback.AddNote(rq.r.Context(), rq.actor, id, body)
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindUnprocessable {
		return s.renderFeedbackItem(rq, id, http.StatusUnprocessableEntity, func(d *feedbackItemData) {
			d.Errors, d.NoteBody = e.Fields, body
		})
	}
	if err != nil {
		return err
	}
	return rq.redirect(feedbackURL(id) + "#notes")
}

type newFeedbackData struct {
	Boards []*ent.Forum
	Board  int
	Title  string
	Body   string
	Type   string
	Areas  string
	Types  []string
	Errors map[string]string
}

// newFeedbackPage shows the new-item form (?board= preselects a board).
func (s *server) newFeedbackPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Feedback == nil {
		return errNotFound
	}
	boards, err := s.feedbackBoards(rq)
	if err != nil {
		return err
	}
	if len(boards) == 0 {
		return errNotFound
	}
	return rq.render("feedbacknew", rq.lang.T("feedback.new"),
		newFeedbackData{Boards: boards, Board: rq.queryInt("board"), Type: "idea", Types: feedback.Types})
}

// createFeedback opens an item; invalid input shows the form again.
func (s *server) createFeedback(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Feedback == nil {
		return errNotFound
	}
	board, _ := strconv.Atoi(rq.form("board"))
	in := feedback.CreateInput{Board: board, Title: rq.form("title"), Body: rq.form("body"), Type: rq.form("type"),
		Areas: splitTags(rq.form("areas"))}
	it, err := s.Feedback.Create(rq.r.Context(), rq.actor, in)
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindUnprocessable {
		boards, berr := s.feedbackBoards(rq)
		if berr != nil {
			return berr
		}
		d := newFeedbackData{Boards: boards, Board: board, Title: in.Title, Body: in.Body, Type: in.Type, Areas: rq.form("areas"),
			Types: feedback.Types, Errors: e.Fields}
		return rq.renderView(http.StatusUnprocessableEntity, "feedbacknew", rq.view(rq.lang.T("feedback.new"), d))
	}
	if err != nil {
		return err
	}
	return rq.redirect(feedbackURL(it.ID))
}

// similarFeedback answers the new-item form with items like its title, so
// the author can vote on one instead of opening a duplicate (the same
// search as GET /api/v1/feedback/similar).
func (s *server) similarFeedback(rq *request) error {
	if s.Feedback == nil {
		return errNotFound
	}
	text := []rune(rq.form("title"))
	if len(text) < 3 {
		rq.renderFragment(http.StatusOK, "feedback-similar", []*feedback.Item(nil))
		return nil
	}
	if len(text) > feedback.SimilarQueryMax {
		text = text[:feedback.SimilarQueryMax]
	}
	board, _ := strconv.Atoi(rq.form("board"))
	items, err := s.Feedback.Similar(rq.r.Context(), rq.actor, string(text), board, 5)
	if err != nil {
		return err
	}
	rq.renderFragment(http.StatusOK, "feedback-similar", items)
	return nil
}

func (s *server) routesFeedback(h func(string, handler)) {
	h("GET /feedback", s.boardPage)
	h("GET /feedback/new", s.newFeedbackPage)
	h("GET /feedback/insights", s.insightsPage)
	h("POST /feedback/new", s.createFeedback)
	h("POST /feedback/similar", s.similarFeedback)
	h("GET /feedback/{id}", s.feedbackItemPage)
	h("POST /feedback/{id}/vote", s.voteFeedback)
	h("POST /feedback/{id}/status", s.feedbackStatus)
	h("POST /feedback/{id}/notes", s.feedbackNote)
}
