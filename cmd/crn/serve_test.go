package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/testenv"
)

// buildBinary compiles cmd/crn once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "crn")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The "done when": a fresh directory, `crn serve` with no
// configuration but the address, /readyz 200, signup → login → /me with a
// cookie and with a bearer token; then the same on PostgreSQL; SIGTERM ends
// it cleanly.
func TestServeEndToEnd(t *testing.T) {
	testenv.SkipIfShort(t, "builds the binary")
	bin := buildBinary(t)
	for name, newDB := range databases(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			addr := freeAddr(t)
			cmd := exec.Command(bin, "serve")
			cmd.Dir = dir
			cmd.Env = []string{"CRN_ADDR=" + addr, "HOME=" + dir}
			if u := newDB(t); u != "" {
				cmd.Env = append(cmd.Env, "CRN_DATABASE_URL="+u)
			}
			var logs bytes.Buffer
			cmd.Stdout, cmd.Stderr = &logs, &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				_ = cmd.Process.Kill()
				if t.Failed() {
					t.Logf("server log:\n%s", logs.String())
				}
			}()
			base := "http://" + addr
			waitReady(t, base, exited)

			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar}
			m := call(t, browser, "POST", base+"/api/v1/auth/signup", "", "", `{"username":"alice","email":"alice@example.com","password":"correct horse","display_name":"爱丽丝"}`, 201)
			call(t, browser, "POST", base+"/api/v1/auth/logout", "", m["csrf_token"].(string), "", 204)
			m = call(t, browser, "POST", base+"/api/v1/auth/login", "", "", `{"login":"alice","password":"correct horse"}`, 200)
			if me := call(t, browser, "GET", base+"/api/v1/me", "", "", "", 200); me["display_name"] != "爱丽丝" {
				t.Fatalf("me by cookie: %v", me)
			}
			api := &http.Client{}
			if me := call(t, api, "GET", base+"/api/v1/me", m["token"].(string), "", "", 200); me["username"] != "alice" {
				t.Fatalf("me by bearer: %v", me)
			}
			call(t, api, "GET", base+"/api/v1/me", "", "", "", 401)

			if name == "sqlite" {
				if _, err := os.Stat(filepath.Join(dir, "data", "crn.db")); err != nil {
					t.Fatalf("default database not at ./data/crn.db: %v", err)
				}
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("serve exited with %v after SIGTERM", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not stop after SIGTERM")
			}
		})
	}
}

func waitReady(t *testing.T, base string, exited chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("serve exited early: %v", err)
		default:
		}
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("server never became ready")
}

func call(t *testing.T, c *http.Client, method, url, bearer, csrf, body string, want int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, url, res.StatusCode, want, b)
	}
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(fmt.Errorf("%s %s: %w: %s", method, url, err, b))
		}
	}
	return m
}
