package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestServesBodyVerbatim(t *testing.T) {
	body := []byte(`{"posts":[],"next_cursor":null}`)
	srv := httptest.NewServer(newHandler(body))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/api/v1/topics/7/posts?limit=20")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("got %d %q, want 200 %q", res.StatusCode, got, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
}
