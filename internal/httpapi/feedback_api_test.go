package httpapi_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/feedback"
	"github.com/crn-dev/crn/internal/httpapi"
)

func withFeedback(db *database.DB) option {
	return func(_ *config.Config, d *httpapi.Deps) {
		d.Feedback = feedback.New(db, d.Forums, feedback.Options{})
	}
}

// feedbackStaff signs up name with the staff role.
func (e *env) feedbackStaff(name string) *client {
	c, _ := e.signup(name)
	e.db.Client.User.Update().Where(user.UsernameKey(name)).SetRole(user.RoleStaff).ExecX(context.Background())
	return c
}

func (e *env) feedbackCRM(name string, attrs map[string]any) {
	e.db.Client.User.Update().Where(user.UsernameKey(name)).SetCrmAttributes(attrs).ExecX(context.Background())
}

func TestFeedbackOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, withFeedback(db))
		adm := e.admin("admin")
		pm := e.feedbackStaff("product")
		alice, _ := e.signup("alice")
		bob, _ := e.signup("bob")
		carol, _ := e.signup("carol")
		erin, _ := e.signup("erin")
		guest := e.client()
		e.feedbackCRM("alice", map[string]any{"plan": "enterprise", "arr": 50000})
		e.feedbackCRM("bob", map[string]any{"plan": "pro", "arr": 5000})

		board := adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Ideas", "kind": "feedback"}, 201).json(t)
		boardID := num(t, board, "id")
		if board["kind"] != "feedback" {
			t.Fatalf("board: %v", board)
		}
		adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Odd", "kind": "chat"}, 422)
		alice.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", boardID), map[string]any{"title": "Plain topic", "body": "x"}, 409)

		created := alice.expect("POST", "/api/v1/feedback", map[string]any{
			"board": boardID, "title": "Export reports to CSV", "body": "We need CSV exports of every report.", "type": "idea", "areas": []string{"Reports"},
		}, 201).json(t)
		id := num(t, created, "id")
		if num(t, created, "vote_count") != 1 || created["voted"] != true || created["status"] != "open" || created["areas"].([]any)[0] != "reports" {
			t.Fatalf("created: %v", created)
		}
		for _, k := range []string{"priority", "estimate", "note_count"} {
			if _, ok := created[k]; ok {
				t.Fatalf("a customer sees %s: %v", k, created)
			}
		}
		other := num(t, bob.expect("POST", "/api/v1/feedback", map[string]any{"board": boardID, "title": "CSV export for dashboards", "body": "Same for dashboards."}, 201).json(t), "id")

		// Votes: idempotent, withdrawable, on a customer's behalf by staff.
		item := fmt.Sprintf("/api/v1/feedback/%d", id)
		bob.expect("PUT", item+"/vote", nil, 200)
		if v := bob.expect("PUT", item+"/vote", nil, 200).json(t); num(t, v, "vote_count") != 2 || v["voted"] != true {
			t.Fatalf("vote twice: %v", v)
		}
		if v := pm.expect("PUT", item+"/vote?on_behalf_of=carol&note=Asked+on+a+sales+call", nil, 200).json(t); num(t, v, "vote_count") != 3 || v["voted"] != false {
			t.Fatalf("on behalf: %v", v)
		}
		if v := pm.expect("PUT", item+"/vote", map[string]any{"on_behalf_of": "erin", "note": "Support ticket 4411"}, 200).json(t); num(t, v, "vote_count") != 4 {
			t.Fatalf("on behalf in a body: %v", v)
		}
		bob.expect("PUT", item+"/vote?on_behalf_of=carol", nil, 403)
		pm.expect("PUT", item+"/vote?on_behalf_of=nobody", nil, 422)
		bob.expect("PUT", item+"/vote", map[string]any{"weight": 10}, 400)
		guest.expect("PUT", item+"/vote", nil, 401)
		if v := pm.expect("DELETE", item+"/vote?on_behalf_of=erin", nil, 200).json(t); num(t, v, "vote_count") != 3 {
			t.Fatalf("withdraw on behalf: %v", v)
		}
		bob.expect("DELETE", item+"/vote", nil, 200)
		if v := bob.expect("DELETE", item+"/vote", nil, 200).json(t); num(t, v, "vote_count") != 2 || v["voted"] != false {
			t.Fatalf("withdraw twice: %v", v)
		}
		bob.expect("PUT", item+"/vote", nil, 200)

		// Listing, with filters and a cursor.
		list := guest.expect("GET", fmt.Sprintf("/api/v1/feedback?board=%d&sort=votes&limit=1", boardID), nil, 200).json(t)
		items := list["items"].([]any)
		if len(items) != 1 || num(t, items[0].(map[string]any), "id") != id || list["next_cursor"] == nil {
			t.Fatalf("list: %v", list)
		}
		if _, ok := items[0].(map[string]any)["voted"]; ok {
			t.Fatal("guests get no voted flag")
		}
		next := guest.expect("GET", fmt.Sprintf("/api/v1/feedback?board=%d&sort=votes&limit=1&cursor=%s", boardID, list["next_cursor"]), nil, 200).json(t)
		if got := next["items"].([]any); len(got) != 1 || num(t, got[0].(map[string]any), "id") != other {
			t.Fatalf("page 2: %v", next)
		}
		if got := alice.expect("GET", "/api/v1/feedback?area=reports&type=idea&status=open", nil, 200).json(t)["items"].([]any); len(got) != 1 {
			t.Fatalf("filtered: %v", got)
		}

		// Triage fields and internal notes: staff only, absent elsewhere.
		pm.expect("PATCH", item, map[string]any{"priority": "high", "estimate": "M"}, 200)
		alice.expect("PATCH", item, map[string]any{"priority": "low"}, 403)
		if v := alice.expect("PATCH", item, map[string]any{"type": "bug"}, 200).json(t); v["type"] != "bug" {
			t.Fatalf("author patch: %v", v)
		}
		bob.expect("PATCH", item, map[string]any{"type": "praise"}, 403)
		pm.expect("PATCH", item, map[string]any{"type": "rant"}, 422)
		note := pm.expect("POST", item+"/notes", map[string]any{"body": "Blocks the Globex renewal"}, 201).json(t)
		if note["body"] != "Blocks the Globex renewal" {
			t.Fatalf("note: %v", note)
		}
		alice.expect("POST", item+"/notes", map[string]any{"body": "me too"}, 403)
		alice.expect("GET", item+"/notes", nil, 403)
		guest.expect("GET", item+"/notes", nil, 401)
		if notes := adm.expect("GET", item+"/notes", nil, 200).json(t)["notes"].([]any); len(notes) != 1 {
			t.Fatalf("notes: %v", notes)
		}
		staffView := pm.expect("GET", item, nil, 200).json(t)
		if staffView["priority"] != "high" || staffView["estimate"] != "M" || num(t, staffView, "note_count") != 1 {
			t.Fatalf("staff view: %v", staffView)
		}
		for _, path := range []string{item, "/api/v1/feedback", "/api/v1/feedback/similar?q=export"} {
			body := string(alice.expect("GET", path, nil, 200).body)
			if strings.Contains(body, "Globex") || strings.Contains(body, `"priority"`) || strings.Contains(body, `"estimate"`) {
				t.Fatalf("%s leaks internals: %s", path, body)
			}
		}

		// Status with official responses, along the state machine.
		alice.expect("POST", item+"/status", map[string]any{"status": "planned", "response": "mine"}, 403)
		pm.expect("POST", item+"/status", map[string]any{"status": "planned"}, 422)
		pm.expect("POST", item+"/status", map[string]any{"status": "shipped", "response": "x"}, 422)
		st := pm.expect("POST", item+"/status", map[string]any{"status": "planned", "response": "Planned for Q3."}, 200).json(t)
		hist := st["history"].([]any)
		if st["status"] != "planned" || len(hist) != 1 || hist[0].(map[string]any)["response"] != "Planned for Q3." ||
			hist[0].(map[string]any)["by"].(map[string]any)["username"] != "product" {
			t.Fatalf("status: %v", st)
		}
		if code := pm.expect("POST", item+"/status", map[string]any{"status": "open", "response": "back"}, 409).errCode(t); code != "illegal_transition" {
			t.Fatal(code)
		}

		// CSAT: only once closed, 1–5, once, by the author and voters.
		alice.expect("POST", item+"/csat", map[string]any{"score": 5}, 409)
		pm.expect("POST", item+"/status", map[string]any{"status": "done", "response": "Shipped in 4.2."}, 200)
		alice.expect("POST", item+"/csat", map[string]any{"score": 6}, 422)
		alice.expect("POST", item+"/csat", map[string]any{"score": 4.5}, 422)
		alice.expect("POST", item+"/csat", map[string]any{"score": "five"}, 400)
		if r := alice.expect("POST", item+"/csat", map[string]any{"score": 5, "comment": "Thanks!"}, 201).json(t); num(t, r, "score") != 5 || r["outcome"] != "done" {
			t.Fatalf("csat: %v", r)
		}
		if code := alice.expect("POST", item+"/csat", map[string]any{"score": 1}, 409).errCode(t); code != "already_rated" {
			t.Fatal(code)
		}
		carol.expect("POST", item+"/csat", map[string]any{"score": 3}, 201) // voted through staff
		erin.expect("POST", item+"/csat", map[string]any{"score": 3}, 403)  // her vote was withdrawn

		// Merge and unmerge.
		otherPath := fmt.Sprintf("/api/v1/feedback/%d", other)
		pm.expect("POST", otherPath+"/merge", map[string]any{"into": other}, 422)
		alice.expect("POST", otherPath+"/merge", map[string]any{"into": id}, 403)
		m := pm.expect("POST", otherPath+"/merge", map[string]any{"into": id}, 200).json(t)
		if m["status"] != "duplicate" || num(t, m, "duplicate_of") != id {
			t.Fatalf("merge: %v", m)
		}
		if code := pm.expect("POST", item+"/merge", map[string]any{"into": other}, 409).errCode(t); code != "merge_loop" {
			t.Fatal(code)
		}
		if got := guest.expect("GET", item, nil, 200).json(t); num(t, got, "vote_count") != 3 || got["merged_items"].([]any)[0].(float64) != float64(other) {
			t.Fatalf("target after merge: %v", got)
		}
		u := pm.expect("POST", otherPath+"/unmerge", nil, 200).json(t)
		if u["status"] != "open" || u["duplicate_of"] != nil || num(t, u, "vote_count") != 1 {
			t.Fatalf("unmerge: %v", u)
		}
		pm.expect("POST", otherPath+"/unmerge", map[string]any{"response": "again"}, 409)

		// Similar items (no search index here: the SQL fallback).
		sim := bob.expect("GET", "/api/v1/feedback/similar?q=csv+export", nil, 200).json(t)["items"].([]any)
		if len(sim) != 2 {
			t.Fatalf("similar: %v", sim)
		}
		bob.expect("GET", "/api/v1/feedback/similar?q=", nil, 422)

		// Insights and exports: staff only.
		alice.expect("GET", "/api/v1/feedback/insights", nil, 403)
		guest.expect("GET", "/api/v1/feedback/insights", nil, 401)
		ins := pm.expect("GET", fmt.Sprintf("/api/v1/feedback/insights?board=%d&from=2000-01-01", boardID), nil, 200).json(t)
		top := ins["top_by_votes"].([]any)
		if num(t, ins, "items") != 2 || len(top) != 2 || num(t, top[0].(map[string]any), "id") != id || num(t, top[0].(map[string]any), "votes") != 3 {
			t.Fatalf("insights: %v", ins)
		}
		// alice 50000 + bob 5000 + carol 0 on the first item.
		if arr := ins["top_by_arr"].([]any)[0].(map[string]any)["weighted_arr"].(float64); arr != 55000 {
			t.Fatalf("weighted ARR %v", arr)
		}
		pm.expect("GET", "/api/v1/feedback/insights?from=soon", nil, 400)
		pm.expect("GET", "/api/v1/feedback/insights?from=2026-02-01&to=2026-01-01", nil, 422)
		r := pm.expect("GET", "/api/v1/feedback/export?format=csv", nil, 200)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv headers: %v", r.header)
		}
		rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil || len(rows) != 3 || rows[0][0] != "id" || strings.Contains(string(r.body), "Globex") {
			t.Fatalf("csv: %v %q", err, r.body)
		}
		js := pm.expect("GET", "/api/v1/feedback/export?format=json", nil, 200).json(t)
		if len(js["items"].([]any)) != 2 || js["insights"] == nil {
			t.Fatalf("json export: %v", js)
		}
		pm.expect("GET", "/api/v1/feedback/export?format=xml", nil, 422)
		alice.expect("GET", "/api/v1/feedback/export?format=csv", nil, 403)

		// Bad input.
		for _, tc := range []struct {
			method, path string
			body         any
			status       int
		}{
			{"POST", "/api/v1/feedback", map[string]any{"board": boardID, "title": "", "body": "x"}, 422},
			{"POST", "/api/v1/feedback", map[string]any{"board": boardID, "title": "Fine title", "body": "x", "votes": 5}, 400},
			{"POST", "/api/v1/feedback", map[string]any{"board": 99999, "title": "Fine title", "body": "x"}, 422},
			{"POST", "/api/v1/feedback", map[string]any{"board": boardID, "title": "Fine title", "body": "x", "areas": []string{"a b"}}, 422},
			{"GET", "/api/v1/feedback/abc", nil, 404},
			{"GET", "/api/v1/feedback/99999", nil, 404},
			{"GET", "/api/v1/feedback?cursor=junk", nil, 400},
			{"GET", "/api/v1/feedback?sort=hot", nil, 422},
			{"GET", "/api/v1/feedback?board=x", nil, 400},
			{"POST", item + "/status", "[]", 400},
			{"POST", item + "/notes", map[string]any{"body": strings.Repeat("x", 10001)}, 422},
		} {
			who := alice
			if strings.HasSuffix(tc.path, "/notes") {
				who = pm
			}
			r := who.do(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, r.status, tc.status, r.body)
				continue
			}
			r.errCode(t)
		}
	})
}
