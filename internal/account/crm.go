package account

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
)

// CRM attribute limits keep a sync job from storing arbitrary blobs.
const (
	ExternalIDMaxLen  = 255
	CRMAttrsMaxBytes  = 16 << 10
	CRMAttrsMaxFields = 100
)

// CRMLink is the customer's identity in the company's CRM. A nil ExternalID
// leaves it alone, an empty one clears it; nil Attributes are left alone.
type CRMLink struct {
	ExternalID *string
	Attributes map[string]any
}

// LinkCRM sets a user's CRM id and attributes (company, plan, ARR...).
func (s *Service) LinkCRM(ctx context.Context, userID int, l CRMLink) (*ent.User, error) {
	problems := map[string]string{}
	upd := s.db.User.UpdateOneID(userID)
	if l.ExternalID != nil {
		v := strings.TrimSpace(*l.ExternalID)
		checkText("external_id", v, ExternalIDMaxLen, false, problems)
		if v == "" {
			upd.ClearExternalID()
		} else {
			upd.SetExternalID(v)
		}
	}
	if l.Attributes != nil {
		b, err := json.Marshal(l.Attributes)
		switch {
		case err != nil:
			problems["crm_attributes"] = "must be a JSON object"
		case len(b) > CRMAttrsMaxBytes:
			problems["crm_attributes"] = "is larger than 16 KiB"
		case len(l.Attributes) > CRMAttrsMaxFields:
			problems["crm_attributes"] = "has more than 100 fields"
		}
		upd.SetCrmAttributes(l.Attributes)
	}
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	u, err := upd.Save(ctx)
	if err == nil {
		s.principals.forget(userID)
	}
	switch {
	case ent.IsNotFound(err):
		return nil, apperr.NotFound("user_not_found", "no such user")
	case err != nil && s.isUnique(err):
		e := apperr.Conflict("external_id_taken", "another account already has that external id")
		e.Fields = map[string]string{"external_id": "is already linked to another account"}
		return nil, e.WithCause(err)
	case err != nil:
		return nil, apperr.Internal("link crm", err)
	}
	return u, nil
}
