package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/resource"
	"github.com/crn-dev/crn/internal/testenv"
)

// With CRN_STORAGE=s3 against a real MinIO, /readyz checks the bucket and a
// file goes through the whole app: streamed up, ranged down.
func TestS3StorageEndToEnd(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Storage = "s3"
	cfg.S3.Endpoint = testenv.Get(t, testenv.S3Endpoint)
	cfg.S3.AccessKey = testenv.Get(t, testenv.S3AccessKey)
	cfg.S3.SecretKey = testenv.Get(t, testenv.S3SecretKey)
	cfg.S3.UseSSL = false
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	cfg.S3.Bucket = "crn-app-" + hex.EncodeToString(rnd[:])
	a := build(t, cfg)
	url, _ := serve(t, a)
	status, body := get(t, url+"/readyz")
	if status != 200 || body["checks"].(map[string]any)["storage"] != "ok" {
		t.Fatalf("readyz: %d %v", status, body)
	}

	token := signup(t, url, "alice")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("title", "Stored in S3")
	fw, _ := mw.CreateFormFile("file", "digits.txt")
	_, _ = fw.Write([]byte(strings.Repeat("0123456789", 1000)))
	_ = mw.Close()
	res := do(t, "POST", url+"/api/v1/resources", token, mw.FormDataContentType(), buf.Bytes(), nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d", res.StatusCode)
	}
	var created struct{ ID int }
	_ = json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()

	res = do(t, "GET", fmt.Sprintf("%s/api/v1/resources/%d/download", url, created.ID), token, "", nil, map[string]string{"Range": "bytes=4995-5004"})
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusPartialContent || string(got) != "5678901234" {
		t.Fatalf("range from S3: %d %q", res.StatusCode, got)
	}
}

func signup(t *testing.T, url, name string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"username": name, "email": name + "@example.com", "password": "correct horse"})
	res := do(t, "POST", url+"/api/v1/auth/signup", "", "application/json", b, nil)
	defer res.Body.Close()
	var m struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil || m.Token == "" {
		t.Fatalf("signup: %d %v", res.StatusCode, err)
	}
	return m.Token
}

func do(t *testing.T, method, url, token, contentType string, body []byte, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Resources outside groups get a discussion topic in the resources forum
// of their visibility, created on first use and reused afterwards.
func TestResourceDiscussionsOpenTopics(t *testing.T) {
	a := build(t, baseConfig(t))
	ctx := context.Background()
	u := a.DB.Client.User.Create().SetUsername("alice").SetUsernameKey("alice").SetEmail("a@example.com").
		SetEmailKey("a@example.com").SetDisplayName("Alice").SetPasswordHash("x").SaveX(ctx)
	alice := authz.ActorOf(u, nil)
	str := func(s string) *string { return &s }
	var topics []int
	for _, vis := range []string{"public", "public", "members"} {
		v, err := a.Resources.Create(ctx, alice, resource.Input{Kind: str("link"), Title: str("Link for " + vis),
			URL: str("https://example.com/" + vis), Visibility: str(vis)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v.TopicID == nil {
			t.Fatalf("%s resource without a discussion", vis)
		}
		topics = append(topics, *v.TopicID)
	}
	fs := a.DB.Client.Forum.Query().Order(forum.ByID()).AllX(ctx)
	if len(fs) != 2 || fs[0].Slug != "resources" || fs[0].ReadVisibility != "public" || fs[1].Slug != "resources-members" || fs[1].ReadVisibility != "members" {
		t.Fatalf("forums: %v", fs)
	}
	for i, want := range []int{fs[0].ID, fs[0].ID, fs[1].ID} {
		tp := a.DB.Client.Topic.GetX(ctx, topics[i])
		if tp.ForumID != want || tp.UserID != u.ID || !strings.HasPrefix(tp.Title, "Link for") {
			t.Fatalf("topic %d: %+v", i, tp)
		}
	}
	// A resource that becomes members-only takes its discussion along.
	rs, err := a.Resources.List(ctx, alice, resource.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	last := rs.Resources[len(rs.Resources)-1] // the first public one
	if _, err := a.Resources.Update(ctx, alice, last.ID, resource.Input{Visibility: str("members")}); err != nil {
		t.Fatal(err)
	}
	if tp := a.DB.Client.Topic.GetX(ctx, *last.TopicID); tp.ForumID != fs[1].ID {
		t.Fatalf("the discussion stayed in forum %d", tp.ForumID)
	}
}

// An unreachable S3 service does not stop a node from starting; /readyz
// names it.
func TestUnreachableStorageIsNotReady(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	cfg := baseConfig(t)
	cfg.Storage, cfg.S3.Endpoint, cfg.S3.Bucket, cfg.S3.UseSSL = "s3", dead, "crn", false
	a := build(t, cfg)
	url, _ := serve(t, a)
	status, body := get(t, url+"/readyz")
	e, _ := body["error"].(map[string]any)
	if status != 503 || !strings.Contains(fmt.Sprint(e["message"]), "storage") {
		t.Fatalf("readyz: %d %v", status, body)
	}
}
