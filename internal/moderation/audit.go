package moderation

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/auditentry"
	"github.com/crn-dev/crn/ent/sanction"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// AuditQuery filters the audit log.
type AuditQuery struct {
	Actor      string // username
	TargetType string
	TargetID   int
	Action     string
	From, To   time.Time // zero: unbounded
	Before     int       // entry id cursor
	Limit      int
}

// AuditPage is a page of the log, newest first.
type AuditPage struct {
	Entries []*ent.AuditEntry
	Next    int
	// Reverted maps the page's entries that were reverted to the id of the
	// entry that reverted them.
	Reverted map[int]int
}

// MaxAuditExport bounds one CSV export.
const MaxAuditExport = 10000

// Audit lists the audit log in the actor's scope.
func (s *Service) Audit(ctx context.Context, a authz.Actor, q AuditQuery) (*AuditPage, error) {
	if err := requireActor(a, authz.CanReview(a), "only moderators read the audit log"); err != nil {
		return nil, err
	}
	lq := s.db.AuditEntry.Query().Where(authz.ReadableAudit(a))
	if q.Actor != "" {
		u, err := s.db.User.Query().Where(user.UsernameKey(strings.ToLower(q.Actor))).Only(ctx)
		if ent.IsNotFound(err) {
			return &AuditPage{}, nil
		}
		if err != nil {
			return nil, apperr.Internal("audit", err)
		}
		lq = lq.Where(auditentry.ActorID(u.ID))
	}
	if q.TargetType != "" {
		lq = lq.Where(auditentry.TargetType(q.TargetType))
	}
	if q.TargetID != 0 {
		lq = lq.Where(auditentry.TargetID(q.TargetID))
	}
	if q.Action != "" {
		lq = lq.Where(auditentry.Action(q.Action))
	}
	if !q.From.IsZero() {
		lq = lq.Where(auditentry.CreatedAtGTE(q.From))
	}
	if !q.To.IsZero() {
		lq = lq.Where(auditentry.CreatedAtLT(q.To))
	}
	if q.Before > 0 {
		lq = lq.Where(auditentry.IDLT(q.Before))
	}
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > MaxAuditExport:
		limit = MaxAuditExport
	}
	es, err := lq.Order(ent.Desc(auditentry.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, apperr.Internal("audit", err)
	}
	page := &AuditPage{Entries: es, Reverted: map[int]int{}}
	if len(es) > limit {
		page.Entries = es[:limit]
		page.Next = page.Entries[limit-1].ID
	}
	if len(page.Entries) > 0 && len(page.Entries) <= 500 {
		// Pages people read (an export does not need it).
		ids := make([]int, len(page.Entries))
		for i, e := range page.Entries {
			ids[i] = e.ID
		}
		revs, err := s.db.AuditEntry.Query().Where(auditentry.RevertsIDIn(ids...)).
			Select(auditentry.FieldID, auditentry.FieldRevertsID).All(ctx)
		if err != nil {
			return nil, apperr.Internal("audit", err)
		}
		for _, r := range revs {
			if r.RevertsID != nil {
				page.Reverted[*r.RevertsID] = r.ID
			}
		}
	}
	return page, nil
}

// Reversible reports whether Revert has an inverse for e that a may apply:
// warnings, notes, assignments, flag dismissals, automatic promotions and
// reverts of their own kind have none, and only admins put back
// auto-moderation settings. Revert may still refuse (409) when the state
// has moved on, e.g. a lifted sanction that would have ended.
func Reversible(a authz.Actor, e *ent.AuditEntry) bool {
	switch e.Action {
	case ActPostHide, ActPostUnhide, ActPostApprove, ActResourceHide, ActResourceUnhide, ActPostDelete, ActPostRestore,
		ActPostEdit, ActTopicLock, ActTopicUnlock, ActTopicPin, ActTopicUnpin, ActTopicMove, ActTopicMerge, ActTopicSplit,
		ActUserSilence, ActUserSuspend, ActUserUnsilence, ActUserUnsuspend:
		return true
	case ActUserTrust:
		return e.ActorID != nil
	case ActSettingsUpdate:
		return authz.CanManageAutomod(a)
	}
	return false
}

// WriteCSV writes entries as CSV with a header row.
func WriteCSV(w io.Writer, es []*ent.AuditEntry, usernames map[int]string) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "created_at", "actor_id", "actor", "action", "target_type", "target_id", "forum_id", "reason", "before", "after", "reverts_id", "group_id"})
	num := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	js := func(m map[string]any) string {
		if m == nil {
			return ""
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, e := range es {
		actor := ""
		if e.ActorID != nil {
			actor = usernames[*e.ActorID]
		}
		if err := cw.Write([]string{strconv.Itoa(e.ID), e.CreatedAt.UTC().Format(time.RFC3339Nano), num(e.ActorID), csvSafe(actor), e.Action,
			e.TargetType, num(e.TargetID), num(e.ForumID), csvSafe(e.Reason), js(e.Before), js(e.After), num(e.RevertsID), num(e.GroupID)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses cells a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Revert undoes the action of an audit entry by applying its inverse,
// which is itself appended to the log pointing back at the entry. An entry
// is reverted at most once; warnings, notes and automatic promotions are
// not reversible (warn again, or set the trust level by hand).
func (s *Service) Revert(ctx context.Context, a authz.Actor, id int, reason string) (*ent.AuditEntry, error) {
	if err := requireActor(a, authz.CanReview(a), "only moderators revert actions"); err != nil {
		return nil, err
	}
	orig, err := s.db.AuditEntry.Query().Where(auditentry.ID(id), authz.ReadableAudit(a)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("audit_entry")
	}
	if err != nil {
		return nil, apperr.Internal("revert", err)
	}
	done, err := s.db.AuditEntry.Query().Where(auditentry.RevertsID(id)).Exist(ctx)
	if err != nil {
		return nil, apperr.Internal("revert", err)
	}
	if done {
		return nil, apperr.Conflict("already_reverted", "this action was reverted already")
	}
	if reason == "" {
		reason = "revert of audit entry " + strconv.Itoa(id)
	}
	target := 0
	if orig.TargetID != nil {
		target = *orig.TargetID
	}
	username := func() (string, error) {
		u, err := s.db.User.Get(ctx, target)
		if err != nil {
			return "", notFound("user")
		}
		return u.Username, nil
	}
	switch orig.Action {
	case ActPostHide:
		err = s.setPostHidden(ctx, a, target, false, reason, id)
	case ActPostUnhide:
		err = s.setPostHidden(ctx, a, target, true, reason, id)
	case ActPostApprove:
		err = s.setPostHidden(ctx, a, target, true, reason, id)
	case ActResourceHide:
		err = s.setResourceHidden(ctx, a, target, false, reason, id)
	case ActResourceUnhide:
		err = s.setResourceHidden(ctx, a, target, true, reason, id)
	case ActPostDelete:
		err = s.restorePost(ctx, a, target, reason, id)
	case ActPostRestore:
		err = s.deletePost(ctx, a, target, reason, id)
	case ActPostEdit:
		src, _ := orig.Before["source"].(string)
		err = s.editPost(ctx, a, target, src, reason, id)
	case ActTopicLock, ActTopicUnlock, ActTopicPin, ActTopicUnpin:
		inverse := map[string]string{ActTopicLock: "unlock", ActTopicUnlock: "lock", ActTopicPin: "unpin", ActTopicUnpin: "pin"}
		err = s.topicAction(ctx, a, target, inverse[orig.Action], reason, id)
	case ActTopicMove:
		err = s.moveTopic(ctx, a, target, intOf(orig.Before["forum_id"]), reason, id)
	case ActTopicMerge:
		err = s.putBack(ctx, a, orig, ActTopicUnmerge, reason)
	case ActTopicSplit:
		err = s.putBack(ctx, a, orig, ActTopicUnsplit, reason)
	case ActUserSilence, ActUserSuspend:
		var name string
		if name, err = username(); err == nil {
			kind := sanction.KindSilence
			if orig.Action == ActUserSuspend {
				kind = sanction.KindSuspend
			}
			err = s.lift(ctx, a, name, kind, reason, id)
		}
	case ActUserUnsilence, ActUserUnsuspend:
		var name string
		if name, err = username(); err == nil {
			kind := sanction.KindSilence
			if orig.Action == ActUserUnsuspend {
				kind = sanction.KindSuspend
			}
			var d time.Duration
			if ends, ok := orig.Before["ends_at"].(string); ok {
				if t, perr := time.Parse(time.RFC3339Nano, ends); perr == nil {
					if d = t.Sub(s.now()); d <= 0 {
						return nil, apperr.Conflict("not_reversible", "the lifted sanction would have ended by now")
					}
				}
			}
			err = s.sanction(ctx, a, name, kind, d, reason, id)
		}
	case ActUserTrust:
		if orig.ActorID == nil {
			return nil, apperr.Conflict("not_reversible", "automatic promotions are not reverted; set the level by hand, which locks it")
		}
		var name string
		if name, err = username(); err == nil {
			_, err = s.setTrust(ctx, a, name, intOf(orig.Before["level"]), orig.Before["locked"] == true, reason, id)
		}
	case ActSettingsUpdate:
		var prev Settings
		b, _ := json.Marshal(orig.Before)
		if err = json.Unmarshal(b, &prev); err == nil {
			err = s.revertSettings(ctx, a, prev, reason, id)
		}
	default:
		return nil, apperr.Conflict("not_reversible", "a "+orig.Action+" cannot be reverted")
	}
	if err != nil {
		return nil, err
	}
	rev, err := s.db.AuditEntry.Query().Where(auditentry.RevertsID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		// The inverse found nothing to change (already so): record the revert anyway.
		return s.markReverted(ctx, a, orig, reason)
	}
	if err != nil {
		return nil, apperr.Internal("revert", err)
	}
	return rev, nil
}

func (s *Service) markReverted(ctx context.Context, a authz.Actor, orig *ent.AuditEntry, reason string) (*ent.AuditEntry, error) {
	var id int
	err := s.tx(ctx, "revert", func(tx *ent.Tx) ([]event.Event, error) {
		var err error
		id, err = s.appendAudit(ctx, tx, entry{actor: a.ID, action: orig.Action + ".revert", targetType: orig.TargetType,
			targetID: deref(orig.TargetID), forumID: deref(orig.ForumID), reason: reason, before: orig.After, after: orig.Before, reverts: orig.ID})
		return nil, err
	})
	if err != nil {
		return nil, err
	}
	return s.db.AuditEntry.Get(ctx, id)
}

func (s *Service) revertSettings(ctx context.Context, a authz.Actor, prev Settings, reason string, reverts int) error {
	if err := requireActor(a, authz.CanManageAutomod(a), "only administrators manage auto-moderation"); err != nil {
		return err
	}
	if _, problems := validate(prev); len(problems) > 0 {
		return apperr.Conflict("not_reversible", "the earlier settings are no longer valid")
	}
	old, err := s.load(ctx)
	if err != nil {
		return err
	}
	return s.tx(ctx, "revert settings", func(tx *ent.Tx) ([]event.Event, error) {
		if err := s.writeSettings(ctx, tx, a.ID, prev); err != nil {
			return nil, err
		}
		id, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: ActSettingsUpdate, targetType: "settings", targetID: settingsID,
			reason: reason, before: toMap(old.settings), after: toMap(prev), reverts: reverts})
		if err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.AutomodUpdated, ActorID: a.ID, Visibility: event.Staff, Payload: map[string]any{"audit_id": id}}}, nil
	})
}

// Usernames resolves actor ids for the log.
func (s *Service) Usernames(ctx context.Context, ids []int) (map[int]string, error) {
	out := map[int]string{}
	if len(ids) == 0 {
		return out, nil
	}
	us, err := s.db.User.Query().Where(user.IDIn(dedupe(ids)...)).Select(user.FieldUsername).All(ctx)
	if err != nil {
		return nil, apperr.Internal("usernames", err)
	}
	for _, u := range us {
		out[u.ID] = u.Username
	}
	return out, nil
}
