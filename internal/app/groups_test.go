package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/crn-dev/crn/internal/database/dbtest"
)

type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c *apiClient) call(method, path string, body any, want int) map[string]any {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func signupAPI(t *testing.T, base, name string) *apiClient {
	t.Helper()
	c := &apiClient{t: t, base: base}
	m := c.call("POST", "/api/v1/auth/signup", map[string]any{"username": name, "email": name + "@example.com", "password": "correct horse"}, 201)
	c.token = m["token"].(string)
	return c
}

type wsFrame struct {
	Type    string `json:"type"`
	Channel string `json:"channel"`
	Event   string `json:"event"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    struct {
		PostID int `json:"post_id"`
	} `json:"data"`
	Channels []string `json:"channels"`
}

type wsClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialWS(t *testing.T, base, token string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/v1/ws?access_token="+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return &wsClient{t: t, ws: ws}
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	if err := c.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) next() wsFrame {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var f wsFrame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatal(err)
	}
	return f
}

// The WebSocket keeps a private group's channels and events from
// non-members, and a member removed from the group stops receiving them.
func TestPrivateGroupOverWebSocket(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			cfg := baseConfig(t)
			if dialect == "postgres" {
				cfg.DatabaseURL = dbtest.NewPostgres(t).URL
			}
			base, _ := serve(t, build(t, cfg))
			owner, mem, out := signupAPI(t, base, "owner"), signupAPI(t, base, "mem"), signupAPI(t, base, "out")
			g := owner.call("POST", "/api/v1/groups", map[string]any{"name": "Inner circle", "visibility": "private"}, 201)
			gid := int(g["id"].(float64))
			inv := owner.call("POST", "/api/v1/groups/inner-circle/invites", map[string]any{"username": "mem"}, 201)
			mem.call("POST", "/api/v1/invites/"+inv["token"].(string)+"/accept", nil, 200)
			f := owner.call("POST", "/api/v1/groups/inner-circle/forums", map[string]any{"name": "Circle talk"}, 201)
			fid := int(f["id"].(float64))
			tp := owner.call("POST", fmt.Sprintf("/api/v1/forums/%d/topics", fid), map[string]any{"title": "Circle plans", "body": "first"}, 201)
			tid := int(tp["topic"].(map[string]any)["id"].(float64))
			// A public topic as a marker: events reach a socket in order.
			owner.call("POST", "/api/v1/groups", map[string]any{"name": "Town square", "visibility": "public"}, 201)
			pf := owner.call("POST", "/api/v1/groups/town-square/forums", map[string]any{"name": "Square"}, 201)
			pt := owner.call("POST", fmt.Sprintf("/api/v1/forums/%d/topics", int(pf["id"].(float64))), map[string]any{"title": "Square chat", "body": "hello"}, 201)
			ptid := int(pt["topic"].(map[string]any)["id"].(float64))

			private := []string{fmt.Sprintf("group:%d", gid), fmt.Sprintf("forum:%d", fid), fmt.Sprintf("topic:%d", tid)}
			outWS := dialWS(t, base, out.token)
			outWS.send(map[string]any{"type": "subscribe", "channels": private})
			for range private {
				if fr := outWS.next(); fr.Type != "error" || fr.Code != "forbidden" {
					t.Fatalf("non-member subscribing: %+v", fr)
				}
			}
			if fr := outWS.next(); fr.Type != "subscribed" || len(fr.Channels) != 0 {
				t.Fatalf("non-member subscribed: %+v", fr)
			}
			memWS := dialWS(t, base, mem.token)
			memWS.send(map[string]any{"type": "subscribe", "channels": append(private, fmt.Sprintf("topic:%d", ptid))})
			if fr := memWS.next(); fr.Type != "subscribed" || len(fr.Channels) != 4 {
				t.Fatalf("member subscribed: %+v", fr)
			}
			reply := owner.call("POST", fmt.Sprintf("/api/v1/topics/%d/posts", tid), map[string]any{"body": "for members"}, 201)
			got := map[string]bool{}
			for len(got) < 3 {
				fr := memWS.next()
				if fr.Type == "event" && fr.Event == "post.created" && fr.Data.PostID == int(reply["id"].(float64)) {
					got[fr.Channel] = true
				}
			}
			// Removed: access ends before the group's next event.
			owner.call("DELETE", "/api/v1/groups/inner-circle/members/mem", nil, 204)
			secret := owner.call("POST", fmt.Sprintf("/api/v1/topics/%d/posts", tid), map[string]any{"body": "after mem left"}, 201)
			marker := owner.call("POST", fmt.Sprintf("/api/v1/topics/%d/posts", ptid), map[string]any{"body": "marker"}, 201)
			revoked := 0
			for seenMarker := false; !seenMarker || revoked < 3; {
				fr := memWS.next()
				switch {
				case fr.Type == "error" && fr.Code == "subscription_revoked":
					revoked++
				case fr.Type == "event" && fr.Data.PostID == int(secret["id"].(float64)):
					t.Fatalf("a removed member received %s on %s", fr.Event, fr.Channel)
				case fr.Type == "event" && fr.Data.PostID == int(marker["id"].(float64)):
					seenMarker = true
				}
			}
			// And cannot subscribe again.
			memWS.send(map[string]any{"type": "subscribe", "channels": private[:1]})
			if fr := memWS.next(); fr.Type != "error" || fr.Code != "forbidden" {
				t.Fatalf("resubscribing after removal: %+v", fr)
			}
		})
	}
}

// Search over REST hydrates group hits and never returns a private group,
// or its topics, to outsiders.
func TestSearchGroupsOverREST(t *testing.T) {
	a := build(t, baseConfig(t))
	base, _ := serve(t, a)
	owner, out := signupAPI(t, base, "owner"), signupAPI(t, base, "out")
	guest := &apiClient{t: t, base: base}
	owner.call("POST", "/api/v1/groups", map[string]any{"name": "Giraffe lovers", "visibility": "public"}, 201)
	owner.call("POST", "/api/v1/groups", map[string]any{"name": "Giraffe conspiracy", "visibility": "private"}, 201)
	f := owner.call("POST", "/api/v1/groups/giraffe-conspiracy/forums", map[string]any{"name": "Plots"}, 201)
	owner.call("POST", fmt.Sprintf("/api/v1/forums/%d/topics", int(f["id"].(float64))), map[string]any{"title": "Giraffe plot", "body": "tall plans"}, 201)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.DrainEvents(ctx); err != nil {
		t.Fatal(err)
	}
	found := func(c *apiClient, query string) []string {
		var out []string
		for _, h := range c.call("GET", "/api/v1/search?q="+query, nil, 200)["hits"].([]any) {
			hit := h.(map[string]any)
			switch hit["type"] {
			case "group":
				out = append(out, "group:"+hit["group"].(map[string]any)["slug"].(string))
			case "topic":
				out = append(out, "topic:"+hit["topic"].(map[string]any)["title"].(string))
			}
		}
		return out
	}
	for _, c := range []*apiClient{guest, out} {
		if got := strings.Join(found(c, "giraffe"), ","); got != "group:giraffe-lovers" {
			t.Fatalf("an outsider found %s", got)
		}
	}
	got := found(owner, "giraffe")
	if len(got) != 3 {
		t.Fatalf("the owner found %v", got)
	}
}
