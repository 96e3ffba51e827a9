package webui

import (
	"net/http"
	"strconv"

	"github.com/crn-dev/crn/ent"
)

// menuItems is how many notifications the header's dropdown shows.
const menuItems = 8

type notificationItem struct {
	*ent.Notification
	Actor *ent.User
	URL   string
	Title string
}

type notificationsData struct {
	Items  []notificationItem
	Unread int
	Next   string
}

func (s *server) notifications(rq *request, before, limit int) (notificationsData, error) {
	ctx := rq.r.Context()
	page, err := s.Notifications.List(ctx, rq.user.ID, before, limit, false)
	if err != nil {
		return notificationsData{}, err
	}
	var ids []int
	for _, n := range page.Items {
		if n.ActorID != nil {
			ids = append(ids, *n.ActorID)
		}
	}
	users, err := s.usersOf(ctx, ids...)
	if err != nil {
		return notificationsData{}, err
	}
	d := notificationsData{Unread: page.UnreadCount}
	for _, n := range page.Items {
		// The link goes through /n/{id}, which marks it read on the way.
		it := notificationItem{Notification: n, URL: "/n/" + strconv.Itoa(n.ID)}
		if n.ActorID != nil {
			it.Actor = users[*n.ActorID]
		}
		if t, ok := n.Data["topic_title"].(string); ok {
			it.Title = t
		}
		d.Items = append(d.Items, it)
	}
	if page.Next != 0 {
		d.Next = "/notifications?before=" + strconv.Itoa(page.Next)
	}
	return d, nil
}

// notificationsPage lists the reader's notifications, newest first.
func (s *server) notificationsPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	d, err := s.notifications(rq, rq.queryInt("before"), 30)
	if err != nil {
		return err
	}
	return rq.render("notifications", rq.lang.T("notifications.title"), d)
}

// notificationsMenu is the header dropdown's content, loaded when opened
// and again when a notification arrives on the live feed.
func (s *server) notificationsMenu(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	d, err := s.notifications(rq, 0, menuItems)
	if err != nil {
		return err
	}
	rq.renderFragment(http.StatusOK, "notification-menu", d)
	return nil
}

// readNotifications marks all of the reader's notifications read.
func (s *server) readNotifications(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if _, err := s.Notifications.MarkRead(rq.r.Context(), rq.user.ID, nil); err != nil {
		return err
	}
	return rq.redirect("/notifications")
}

// targetOf is where a notification leads: the post, else the topic.
func targetOf(n *ent.Notification) string {
	if n.TopicID == nil {
		return "/notifications"
	}
	if num, ok := n.Data["post_number"].(float64); ok && num > 0 {
		return postURL(*n.TopicID, int(num))
	}
	return topicURL(*n.TopicID)
}

// openNotification marks one notification read and goes to what it is about.
func (s *server) openNotification(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	n, err := s.Notifications.Open(rq.r.Context(), rq.user.ID, id)
	if err != nil {
		return err
	}
	return rq.redirect(targetOf(n))
}
