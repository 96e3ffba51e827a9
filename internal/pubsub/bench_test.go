package pubsub

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// A pair of brokers: pub publishes, sub listens. For Memory they are one.
type benchPair func(b *testing.B) (pub, sub Broker)

func BenchmarkPublishMemory(b *testing.B) {
	benchPublish(b, func(b *testing.B) (Broker, Broker) {
		m := NewMemory(DefaultRetention)
		b.Cleanup(func() { m.Close() })
		return m, m
	})
}

func BenchmarkPublishRedis(b *testing.B) {
	newRedisTestEnv(b) // skips without Redis
	benchPublish(b, func(b *testing.B) (Broker, Broker) {
		env := newRedisTestEnv(b)
		pub, _ := env.node(b, DefaultRetention)
		sub, _ := env.node(b, DefaultRetention)
		return pub, sub
	})
}

// benchPublish measures what a client sees: the latency from Publish on one
// node to the callback of a Listen on another, one message at a time; the
// throughput of batched publishing through to the listener; and Since, the
// resume path.
func benchPublish(b *testing.B, pair benchPair) {
	b.Run("latency", func(b *testing.B) {
		pub, sub := pair(b)
		received := make(chan time.Duration, 1)
		benchListen(b, pub, sub, func(m Message) {
			sent, _ := strconv.ParseInt(string(m.Data), 10, 64)
			received <- time.Duration(time.Now().UnixNano() - sent)
		})
		latencies := make([]time.Duration, 0, b.N)
		ctx := context.Background()
		b.ResetTimer()
		for i := range b.N {
			m := Message{Channel: "bench", ID: int64(i + 1), Event: "e", Data: []byte(strconv.FormatInt(time.Now().UnixNano(), 10))}
			if err := pub.Publish(ctx, m); err != nil {
				b.Fatal(err)
			}
			latencies = append(latencies, <-received)
		}
		b.StopTimer()
		slices.Sort(latencies)
		b.ReportMetric(float64(latencies[len(latencies)/2])/1e3, "p50-µs")
		b.ReportMetric(float64(latencies[len(latencies)*99/100])/1e3, "p99-µs")
	})

	b.Run("throughput", func(b *testing.B) {
		pub, sub := pair(b)
		var count atomic.Int64
		done := make(chan struct{})
		benchListen(b, pub, sub, func(Message) {
			if count.Add(1) == int64(b.N) {
				close(done)
			}
		})
		msgs := make([]Message, b.N)
		for i := range msgs {
			msgs[i] = Message{Channel: fmt.Sprintf("bench:%d", i%50), ID: int64(i + 1), Event: "e", Data: []byte(`{"topic":1,"post":2}`)}
		}
		ctx := context.Background()
		b.ResetTimer()
		start := time.Now()
		for batch := range slices.Chunk(msgs, 64) {
			if err := pub.Publish(ctx, batch...); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-done:
		case <-time.After(time.Minute):
			b.Fatalf("delivered %d of %d", count.Load(), b.N)
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	})

	b.Run("since-100-of-1000", func(b *testing.B) {
		pub, _ := pair(b)
		var msgs []Message
		for id := int64(1); id <= 1000; id++ {
			msgs = append(msgs, Message{Channel: "bench", ID: id, Event: "e", Data: []byte(`{"topic":1,"post":2}`)})
		}
		if err := pub.Publish(context.Background(), msgs...); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			got, complete, err := pub.Since(context.Background(), "bench", 900)
			if err != nil || len(got) != 100 || !complete {
				b.Fatalf("Since = %d messages, %v, %v", len(got), complete, err)
			}
		}
	})
}

// benchListen starts a Listen on sub calling onMessage, and returns once a
// message published on pub reaches it.
func benchListen(b *testing.B, pub, sub Broker, onMessage func(Message)) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{}, 1)
	result := make(chan error, 1)
	go func() {
		result <- sub.Listen(ctx, func(m Message) {
			if m.Channel == "_ready" {
				select {
				case ready <- struct{}{}:
				default:
				}
				return
			}
			onMessage(m)
		}, nil)
	}()
	b.Cleanup(func() {
		cancel()
		<-result
	})
	for id := int64(1); ; id++ {
		if err := pub.Publish(ctx, Message{Channel: "_ready", ID: id}); err != nil {
			b.Fatal(err)
		}
		select {
		case <-ready:
			return
		case err := <-result:
			b.Fatalf("Listen: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
