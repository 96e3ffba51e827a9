package app_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
)

func ptr[T any](v T) *T { return &v }

// fetch GETs url with the headers given as name, value pairs.
func fetch(t *testing.T, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// waitFor retries check until it passes or 10 s go by (the events that
// invalidate the cache arrive through the outbox relay, asynchronously).
func waitFor(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Guests' topic pages and forum lists come from the response cache, and
// every change reaches them through the events that invalidate it.
func TestGuestCacheServesAndInvalidates(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			cfg := baseConfig(t)
			if d == database.Postgres {
				cfg.DatabaseURL = dbtest.NewPostgres(t).URL
			}
			testGuestCache(t, cfg)
		})
	}
}

func testGuestCache(t *testing.T, cfg config.Config) {
	ctx := context.Background()
	a := build(t, cfg)
	url, _ := serve(t, a)

	admin, err := a.Accounts.CreateUser(ctx, account.NewUser{Username: "admin", Email: "a@example.com", Password: "correct horse", Role: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	aa := authz.ActorOf(admin, nil)
	f, err := a.Forums.CreateForum(ctx, aa, forum.ForumInput{Name: ptr("General"), Slug: ptr("general"), ReadVisibility: ptr("public")})
	if err != nil {
		t.Fatal(err)
	}
	tv, _, err := a.Forums.CreateTopic(ctx, aa, f.ID, forum.TopicInput{Title: "Cached topic", Body: "first post " + strings.Repeat("text ", 200)})
	if err != nil {
		t.Fatal(err)
	}
	posts := fmt.Sprintf("%s/api/v1/topics/%d/posts", url, tv.ID)

	res, first := fetch(t, posts)
	if res.StatusCode != 200 {
		t.Fatalf("GET posts: %d %s", res.StatusCode, first)
	}
	// The events of the set-up above still arrive and drop entries: read
	// until one read is answered from the cache.
	var second []byte
	waitFor(t, "a guest read answered from the cache", func() bool {
		hits := a.Cache.Stats().Hits
		res, second = fetch(t, posts)
		return a.Cache.Stats().Hits == hits+1
	})
	if !bytes.Equal(first, second) || res.Header.Get("ETag") == "" {
		t.Fatalf("cached body differs or has no ETag")
	}
	// Revalidation and the stored gzip form.
	if res2, _ := fetch(t, posts, "If-None-Match", res.Header.Get("ETag")); res2.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", res2.StatusCode)
	}
	res3, gz := fetch(t, posts, "Accept-Encoding", "gzip")
	if res3.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip form: %v", res3.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, first) {
		t.Fatal("gzip form differs from the body")
	}

	// Signed-in readers never touch the cache.
	_, issued, err := a.Accounts.Signup(ctx, account.NewUser{Username: "member", Email: "m@example.com", Password: "correct horse"}, account.Client{})
	if err != nil {
		t.Fatal(err)
	}
	before := a.Cache.Stats()
	if res, _ := fetch(t, posts, "Authorization", "Bearer "+issued.Secret); res.StatusCode != 200 {
		t.Fatalf("signed-in read: %d", res.StatusCode)
	}
	if after := a.Cache.Stats(); after.Hits != before.Hits || after.Misses != before.Misses {
		t.Fatalf("a signed-in read used the cache: %+v then %+v", before, after)
	}

	// A reply, an edit and a renamed author each reach the cached page.
	member, err := a.Accounts.CreateUser(ctx, account.NewUser{Username: "writer", Email: "w@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Forums.CreatePost(ctx, authz.ActorOf(member, nil), tv.ID, forum.PostInput{Body: "a fresh reply"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reply on the guest page", func() bool {
		_, b := fetch(t, posts)
		return strings.Contains(string(b), "a fresh reply")
	})
	if _, err := a.Forums.EditPost(ctx, authz.ActorOf(member, nil), p.ID, "an edited reply"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the edit on the guest page", func() bool {
		_, b := fetch(t, posts)
		return strings.Contains(string(b), "an edited reply")
	})
	if _, err := a.Accounts.UpdateProfile(ctx, member.ID, account.ProfilePatch{DisplayName: ptr("Renamed Writer")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new display name on the guest page", func() bool {
		_, b := fetch(t, posts)
		return strings.Contains(string(b), "Renamed Writer")
	})

	// The forum list shows counts: it follows new topics.
	forums := url + "/api/v1/forums/" + fmt.Sprint(f.ID) + "/topics"
	fetch(t, forums)
	if _, _, err := a.Forums.CreateTopic(ctx, aa, f.ID, forum.TopicInput{Title: "Second topic here", Body: "body"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new topic in the guest's forum list", func() bool {
		_, b := fetch(t, forums)
		var page struct {
			Topics []struct{ Title string } `json:"topics"`
		}
		_ = json.Unmarshal(b, &page)
		return len(page.Topics) == 2
	})

	// A forum made members-only disappears for guests at once.
	if _, err := a.Forums.UpdateForum(ctx, aa, f.ID, forum.ForumInput{ReadVisibility: ptr("members")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the members-only topic to be hidden from guests", func() bool {
		res, _ := fetch(t, posts)
		return res.StatusCode == http.StatusNotFound
	})
}
