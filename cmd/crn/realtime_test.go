package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/testenv"
)

// node is a crn process under test.
type node struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string
	logs   *bytes.Buffer
	exited chan error
}

func startNode(t *testing.T, bin string, env []string, dir string) *node {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, env...), "CRN_ADDR="+addr)
	n := &node{t: t, cmd: cmd, base: "http://" + addr, logs: &bytes.Buffer{}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("node %s log:\n%s", addr, n.logs.String())
		}
	})
	waitReady(t, n.base, n.exited)
	return n
}

func (n *node) kill() {
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
}

// login returns a bearer token for username.
func (n *node) login(username string) string {
	m := call(n.t, http.DefaultClient, "POST", n.base+"/api/v1/auth/login", "", "", fmt.Sprintf(`{"login":%q,"password":"correct horse"}`, username), 200)
	return m["token"].(string)
}

func (n *node) signup(username string) string {
	m := call(n.t, http.DefaultClient, "POST", n.base+"/api/v1/auth/signup", "", "",
		fmt.Sprintf(`{"username":%q,"email":"%s@example.com","password":"correct horse"}`, username, username), 201)
	return m["token"].(string)
}

type wsClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func (n *node) dial(token string) *wsClient {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var opts websocket.DialOptions
	if token != "" {
		opts.HTTPHeader = http.Header{"Authorization": {"Bearer " + token}}
	}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.base, "http")+"/api/v1/ws", &opts)
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() { ws.CloseNow() })
	return &wsClient{t: n.t, ws: ws}
}

type wsFrame struct {
	Type     string          `json:"type"`
	Channel  string          `json:"channel"`
	ID       int64           `json:"id"`
	Event    string          `json:"event"`
	Code     string          `json:"code"`
	Channels []string        `json:"channels"`
	Data     json.RawMessage `json:"data"`
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	if err := c.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) read(timeout time.Duration) (wsFrame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		return wsFrame{}, err
	}
	var f wsFrame
	return f, json.Unmarshal(b, &f)
}

// expect skips frames until one matches.
func (c *wsClient) expect(what string, match func(wsFrame) bool) wsFrame {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f, err := c.read(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(f) {
			return f
		}
	}
	c.t.Fatalf("no %s", what)
	return wsFrame{}
}

func (c *wsClient) subscribe(channels []string, since map[string]int64) {
	c.t.Helper()
	c.send(map[string]any{"type": "subscribe", "channels": channels, "since": since})
	c.expect("subscribed", func(f wsFrame) bool { return f.Type == "subscribed" })
}

func isEvent(event, channel string) func(wsFrame) bool {
	return func(f wsFrame) bool { return f.Type == "event" && f.Event == event && f.Channel == channel }
}

// realtimeSuite runs the live-feed scenarios against nodes a, b, c (which
// may be one and the same node). admin is an administrator's token.
func realtimeSuite(t *testing.T, a, b, c *node, admin string, kill bool) {
	pub := call(t, http.DefaultClient, "POST", a.base+"/api/v1/forums", admin, "", `{"name":"Live"}`, 201)
	priv := call(t, http.DefaultClient, "POST", a.base+"/api/v1/forums", admin, "", `{"name":"Members","read_visibility":"members"}`, 201)
	alice, bob := a.signup("alice"), a.signup("bob")
	bobID := int(call(t, http.DefaultClient, "GET", a.base+"/api/v1/me", bob, "", "", 200)["id"].(float64))
	topic := call(t, http.DefaultClient, "POST", fmt.Sprintf("%s/api/v1/forums/%d/topics", a.base, int(pub["id"].(float64))), bob, "",
		`{"title":"Live topic","body":"first"}`, 201)["topic"].(map[string]any)
	tid := int(topic["id"].(float64))
	tch := fmt.Sprintf("topic:%d", tid)

	// A post created through A reaches subscribers on B and C.
	onB, onC := b.dial(bob), c.dial("")
	onB.subscribe([]string{tch, fmt.Sprintf("user:%d", bobID)}, nil)
	onC.subscribe([]string{tch}, nil)
	post := call(t, http.DefaultClient, "POST", fmt.Sprintf("%s/api/v1/topics/%d/posts", a.base, tid), alice, "", `{"body":"hello from A","reply_to":null}`, 201)
	// The opening post's own post.created may still be on its way when B
	// and C subscribe (the relay may lead on another node and poll), so
	// wait for this reply's by its id.
	isReply := func(f wsFrame) bool {
		return isEvent("post.created", tch)(f) && strings.Contains(string(f.Data), fmt.Sprintf(`"post_id":%d`, int(post["id"].(float64))))
	}
	fb := onB.expect("post.created on B", isReply)
	fc := onC.expect("post.created on C", isReply)
	if fb.ID != fc.ID || fb.ID == 0 {
		t.Fatalf("ids differ: %d %d", fb.ID, fc.ID)
	}
	// Notifications are pushed on the user's channel, with the unread count.
	call(t, http.DefaultClient, "POST", fmt.Sprintf("%s/api/v1/topics/%d/posts", a.base, tid), alice, "", `{"body":"@bob look"}`, 201)
	n := onB.expect("notification", isEvent("notification.created", fmt.Sprintf("user:%d", bobID)))
	if !strings.Contains(string(n.Data), `"unread_count":`) {
		t.Fatalf("notification: %s", n.Data)
	}

	// Disconnect, miss three posts, resume with since: exactly those three, in order.
	last := onC.expect("the mention post", isEvent("post.created", tch)).ID
	onC.ws.Close(websocket.StatusNormalClosure, "")
	var missed []string
	for i := range 3 {
		p := call(t, http.DefaultClient, "POST", fmt.Sprintf("%s/api/v1/topics/%d/posts", a.base, tid), alice, "", fmt.Sprintf(`{"body":"missed %d"}`, i), 201)
		missed = append(missed, fmt.Sprintf(`"post_id":%d`, int(p["id"].(float64))))
	}
	back := c.dial("")
	back.subscribe([]string{tch}, map[string]int64{tch: last})
	prev := last
	// forum.counts_updated also comes on the topic's channel (the topic's
	// last activity moved); the posts are what this checks.
	posts := func(f wsFrame) bool { return f.Type == "event" && f.Event != "forum.counts_updated" }
	for i := range 3 {
		f := back.expect("a missed post", posts)
		if f.Event != "post.created" || f.ID <= prev || !strings.Contains(string(f.Data), missed[i]) {
			t.Fatalf("resumed event %d: %s %d %s", i, f.Event, f.ID, f.Data)
		}
		prev = f.ID
	}
	for {
		f, err := back.read(500 * time.Millisecond)
		if err != nil {
			break
		}
		if posts(f) {
			t.Fatalf("an extra event after the missed ones: %+v", f)
		}
	}

	// A guest may not subscribe to a members-only forum.
	g := b.dial("")
	g.send(map[string]any{"type": "subscribe", "channels": []string{fmt.Sprintf("forum:%d", int(priv["id"].(float64)))}})
	if f := g.expect("error", func(f wsFrame) bool { return f.Type == "error" }); f.Code != "forbidden" {
		t.Fatalf("guest subscribe: %+v", f)
	}

	// Presence: carol connected to A is visible from C, and gone once A is gone.
	carol := a.signup("carol")
	a.dial(carol)
	online := func() string {
		m := call(t, http.DefaultClient, "GET", c.base+"/api/v1/presence?channel=online", "", "", "", 200)
		b, _ := json.Marshal(m["users"])
		return string(b)
	}
	waitFor(t, "carol online as seen from C", func() bool { return strings.Contains(online(), `"carol"`) })
	if kill {
		a.kill()
		waitFor(t, "carol gone after A was killed", func() bool { return !strings.Contains(online(), `"carol"`) })
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// createAdmin makes an administrator with the CLI and returns a token from node n.
func createAdmin(t *testing.T, bin string, env []string, dir string, n *node) string {
	cmd := exec.Command(bin, "admin", "create-user", "--username", "boss", "--email", "boss@example.com", "--password", "correct horse", "--role", "admin")
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create admin: %v %s", err, out)
	}
	return n.login("boss")
}

func baseEnv(dir string) []string {
	return []string{"HOME=" + dir, "CRN_LOG_LEVEL=warn", "CRN_AUTH_RATE=10000", "CRN_AUTH_BURST=10000", "CRN_PRESENCE_TTL=3s", "CRN_DATA_DIR=" + filepath.Join(dir, "data")}
}

// Three nodes sharing PostgreSQL and Redis.
func TestRealtimeAcrossThreeNodes(t *testing.T) {
	testenv.SkipIfShort(t, "starts three servers")
	redisURL := testenv.Get(t, testenv.RedisURL)
	pg := dbtest.NewPostgres(t).URL
	bin := buildBinary(t)
	dir := t.TempDir()
	env := append(baseEnv(dir), "CRN_DATABASE_URL="+pg, "CRN_REDIS_URL="+redisURL, "CRN_REDIS_PREFIX=crntest:"+randomHex()+":",
		"CRN_MEILI_URL="+testenv.Get(t, testenv.MeiliURL), "CRN_MEILI_KEY="+testenv.Get(t, testenv.MeiliKey), "CRN_MEILI_INDEX=rt"+randomHex()+"_")
	a := startNode(t, bin, append(env, "CRN_NODE_ID=a"), dir)
	b := startNode(t, bin, append(env, "CRN_NODE_ID=b"), dir)
	c := startNode(t, bin, append(env, "CRN_NODE_ID=c"), dir)
	realtimeSuite(t, a, b, c, createAdmin(t, bin, env, dir, a), true)
}

// The same scenarios on one node with the in-process broker and presence.
func TestRealtimeOneNodeInProcess(t *testing.T) {
	testenv.SkipIfShort(t, "starts a server")
	bin := buildBinary(t)
	dir := t.TempDir()
	env := baseEnv(dir)
	n := startNode(t, bin, env, dir)
	realtimeSuite(t, n, n, n, createAdmin(t, bin, env, dir, n), false)
}
