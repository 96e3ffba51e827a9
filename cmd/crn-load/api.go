package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// demoPassword is the password of every account "crn seed --demo" creates.
const demoPassword = "crn-demo-password"

// api is the part of crn's REST API the load client uses: signing in,
// finding public topics and their authors, and posting replies.
type api struct {
	base   string
	client *http.Client
}

// newAPI returns a client for base whose connections stay on loopback.
// conns bounds the connections kept open to the server for reuse.
func newAPI(base string, conns int) *api {
	tr := &http.Transport{
		DialContext:         newDialer(netip.Addr{}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     30 * time.Second,
	}
	return &api{base: strings.TrimRight(base, "/"), client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// apiError is a non-2xx answer; code is crn's error code when it sent one.
type apiError struct {
	status int
	code   string
}

func (e *apiError) Error() string {
	if e.code != "" {
		return fmt.Sprintf("http %d %s", e.status, e.code)
	}
	return fmt.Sprintf("http %d", e.status)
}

// call sends a JSON request and decodes a JSON answer into out (if not nil).
func (a *api) call(ctx context.Context, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if res.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		return &apiError{status: res.StatusCode, code: e.Error.Code}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// login signs in and returns a bearer token.
func (a *api) login(ctx context.Context, username, password string) (string, error) {
	var res struct {
		Token string `json:"token"`
	}
	in := map[string]string{"login": username, "password": password}
	if err := a.call(ctx, http.MethodPost, "/api/v1/auth/login", "", in, &res); err != nil {
		return "", fmt.Errorf("sign in as %s: %w", username, err)
	}
	return res.Token, nil
}

// openTopic is a topic a guest may read and its author may reply to.
type openTopic struct {
	id     int
	forum  int
	author string
}

// publicTopics lists up to limit topics that a guest can read (so guests
// can subscribe to them) and that are open for replies, skipping forums
// where not everyone may reply. It takes them from each forum in turn, so
// that several forums and authors are involved.
func (a *api) publicTopics(ctx context.Context, limit int) ([]openTopic, error) {
	var fl struct {
		Forums []struct {
			ID             int    `json:"id"`
			ReadVisibility string `json:"read_visibility"`
			ReplyPolicy    string `json:"reply_policy"`
		} `json:"forums"`
	}
	if err := a.call(ctx, http.MethodGet, "/api/v1/forums", "", nil, &fl); err != nil {
		return nil, fmt.Errorf("list forums: %w", err)
	}
	var perForum [][]openTopic
	for _, f := range fl.Forums {
		if f.ReadVisibility != "" && f.ReadVisibility != "public" {
			continue
		}
		if f.ReplyPolicy != "" && f.ReplyPolicy != "everyone" {
			continue // staff-only, or a trust level the demo customers may lack
		}
		var tl struct {
			Topics []struct {
				ID       int  `json:"id"`
				Locked   bool `json:"locked"`
				Closed   bool `json:"closed"`
				Archived bool `json:"archived"`
				Deleted  bool `json:"deleted"`
				Author   *struct {
					Username string `json:"username"`
				} `json:"author"`
			} `json:"topics"`
		}
		if err := a.call(ctx, http.MethodGet, "/api/v1/forums/"+strconv.Itoa(f.ID)+"/topics?limit=100", "", nil, &tl); err != nil {
			return nil, fmt.Errorf("list topics of forum %d: %w", f.ID, err)
		}
		var open []openTopic
		for _, t := range tl.Topics {
			if !t.Locked && !t.Closed && !t.Archived && !t.Deleted && t.Author != nil {
				open = append(open, openTopic{id: t.ID, forum: f.ID, author: t.Author.Username})
			}
		}
		perForum = append(perForum, open)
	}
	var out []openTopic
	for round := 0; len(out) < limit; round++ {
		took := false
		for _, open := range perForum {
			if round < len(open) && len(out) < limit {
				out = append(out, open[round])
				took = true
			}
		}
		if !took {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no open public topic on %s: seed one (crn seed --demo) or pass -topic", a.base)
	}
	return out, nil
}

// createPost replies to a topic and returns the new post's id.
func (a *api) createPost(ctx context.Context, token string, topicID int, body string) (int, error) {
	var res struct {
		ID int `json:"id"`
	}
	err := a.call(ctx, http.MethodPost, "/api/v1/topics/"+strconv.Itoa(topicID)+"/posts", token, map[string]string{"body": body}, &res)
	if err != nil {
		return 0, err
	}
	if res.ID == 0 {
		return 0, fmt.Errorf("post to topic %d: answer without an id", topicID)
	}
	return res.ID, nil
}

// intList parses a comma-separated list of positive integers.
func intList(s string) ([]int, error) {
	var out []int
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", p)
		}
		out = append(out, n)
	}
	return out, nil
}

// stringList parses a comma-separated list, dropping empty items.
func stringList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
