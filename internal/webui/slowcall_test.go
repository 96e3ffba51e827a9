package webui

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// A slow computation is started once however many pages ask while it
// runs; a page stops waiting at its bound and says so, and a later page
// gets the result.
func TestWaitSlow(t *testing.T) {
	var c slowCalls
	var started atomic.Int32
	release := make(chan struct{})
	slow := func(ctx context.Context) (int, error) {
		n := started.Add(1)
		<-release
		return int(n) * 10, nil
	}
	ctx := context.Background()
	for range 3 {
		// The computation cannot end before release, so these cannot be ready.
		if v, ready, err := waitSlow(ctx, &c, "k", time.Millisecond, slow); ready || err != nil || v != 0 {
			t.Fatalf("while running: %d %v %v", v, ready, err)
		}
	}
	if n := started.Load(); n != 1 {
		t.Fatalf("%d computations started while one was running", n)
	}
	close(release)
	v, ready, err := waitSlow(ctx, &c, "k", time.Minute, slow)
	if !ready || err != nil || (v != 10 && v != 20) {
		t.Fatalf("after release: %d %v %v", v, ready, err)
	}

	// Errors and panics come back as errors.
	boom := errors.New("boom")
	if _, ready, err := waitSlow(ctx, &c, "e", time.Minute, func(context.Context) (int, error) { return 0, boom }); ready || !errors.Is(err, boom) {
		t.Fatalf("error: %v %v", ready, err)
	}
	if _, ready, err := waitSlow(ctx, &c, "p", time.Minute, func(context.Context) (int, error) { panic("oops") }); ready || err == nil {
		t.Fatalf("panic: %v %v", ready, err)
	}

	// A reader who leaves stops waiting; the computation goes on without
	// the request's cancellation.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	var sawCancel atomic.Bool
	done := make(chan struct{})
	_, ready, err = waitSlow(gone, &c, "c", time.Minute, func(ctx context.Context) (int, error) {
		defer close(done)
		sawCancel.Store(ctx.Err() != nil)
		return 1, nil
	})
	if ready && err == nil {
		// The computation may have finished before the select looked at
		// the context; either answer is right.
		<-done
	} else if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled reader: %v %v", ready, err)
	}
	<-done
	if sawCancel.Load() {
		t.Fatal("the computation inherited the request's cancellation")
	}
}
