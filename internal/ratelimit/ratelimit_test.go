package ratelimit

import (
	"context"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestMemoryBurstThenRefill(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(6, 3, c.now) // one token every 10 s
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if ok, _, _ := m.Allow(ctx, "ip"); !ok {
			t.Fatalf("attempt %d of the burst refused", i+1)
		}
	}
	ok, retry, _ := m.Allow(ctx, "ip")
	if ok || retry <= 0 || retry > 10*time.Second {
		t.Fatalf("4th attempt: ok=%v retry=%v, want refused with retry in (0,10s]", ok, retry)
	}
	// Refusals must not push the next token further away.
	for i := 0; i < 5; i++ {
		m.Allow(ctx, "ip")
	}
	c.t = c.t.Add(10 * time.Second)
	if ok, _, _ := m.Allow(ctx, "ip"); !ok {
		t.Fatal("a token should have refilled after 10 s")
	}
	if ok, _, _ := m.Allow(ctx, "other"); !ok {
		t.Fatal("keys must be independent")
	}
}

func TestMemoryForgetsIdleKeys(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(60, 5, c.now)
	for i := 0; i < 100; i++ {
		m.Allow(context.Background(), string(rune('a'+i%26))+string(rune('A'+i/26)))
	}
	if m.Len() != 100 {
		t.Fatalf("Len = %d, want 100", m.Len())
	}
	c.t = c.t.Add(10 * time.Minute)
	m.Allow(context.Background(), "fresh")
	if m.Len() != 1 {
		t.Fatalf("idle keys kept: Len = %d, want 1", m.Len())
	}
}
