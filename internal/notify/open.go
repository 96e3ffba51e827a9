package notify

import (
	"context"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/notification"
	"github.com/crn-dev/crn/internal/apperr"
)

// Open returns one of the user's notifications and marks it read: what
// following a notification's link does. Another user's notification is
// "not found".
func (s *Service) Open(ctx context.Context, userID, id int) (*ent.Notification, error) {
	n, err := s.db.Notification.Query().Where(notification.ID(id), notification.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("notification_not_found", "no such notification")
	}
	if err != nil {
		return nil, apperr.Internal("open notification", err)
	}
	if n.ReadAt == nil {
		now := s.now()
		if _, err := s.markRead(ctx, userID, []int{id}, now); err != nil {
			return nil, apperr.Internal("open notification", err)
		}
		n.ReadAt = &now
	}
	return n, nil
}
