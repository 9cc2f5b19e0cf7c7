package capture

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func startsWith(prefix string) func(string) bool {
	return func(s string) bool { return strings.HasPrefix(s, prefix) }
}

func TestBox_KeepsItemsInOrderAndFindsTheNewestMatch(t *testing.T) {
	var b Box[string]
	for _, s := range []string{"a1", "b1", "a2"} {
		b.Add(s)
	}

	if got := strings.Join(b.All(), " "); got != "a1 b1 a2" {
		t.Errorf("All = %s, want a1 b1 a2", got)
	}
	if got, ok := b.Last(startsWith("a")); got != "a2" || !ok {
		t.Errorf("Last(a) = %q, %v; want a2, true", got, ok)
	}
	if got, ok := b.Last(startsWith("c")); got != "" || ok {
		t.Errorf("Last(c) = %q, %v; want nothing", got, ok)
	}
}

func TestNext_ReturnsEachMatchOnceInOrderIncludingThoseAddedBeforeTheCall(t *testing.T) {
	var b Box[string]
	b.Add("a1")
	b.Add("b1")
	b.Add("a2")

	for _, want := range []string{"a1", "a2"} {
		if got, err := b.Next(t.Context(), "a", startsWith("a")); got != want || err != nil {
			t.Errorf("Next = %q, %v; want %s", got, err, want)
		}
	}
	if got, err := b.Next(t.Context(), "b", startsWith("b")); got != "b1" || err != nil {
		t.Errorf("Next for another key = %q, %v; want b1", got, err)
	}
}

func TestNext_WaitsForAnItemAddedLater(t *testing.T) {
	var b Box[string]
	got := make(chan string)
	go func() {
		item, _ := b.Next(context.Background(), "a", startsWith("a"))
		got <- item
	}()

	b.Add("b1") // wakes the waiter, which goes back to waiting
	time.Sleep(10 * time.Millisecond)
	b.Add("a1")

	select {
	case item := <-got:
		if item != "a1" {
			t.Errorf("Next = %q, want a1", item)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Next still waits after a1 was added")
	}
}

func TestNext_GivesConcurrentWaitersDifferentItems(t *testing.T) {
	var b Box[int]
	const waiters = 10
	results := make(chan int, waiters)
	var wg sync.WaitGroup
	for range waiters {
		wg.Go(func() {
			n, err := b.Next(context.Background(), "all", func(int) bool { return true })
			if err != nil {
				t.Error(err)
			}
			results <- n
		})
	}
	for i := range waiters {
		b.Add(i)
	}
	wg.Wait()
	close(results)

	seen := map[int]bool{}
	for n := range results {
		if seen[n] {
			t.Errorf("two waiters got item %d", n)
		}
		seen[n] = true
	}
}

func TestNext_ReturnsTheContextErrorAndKeepsTheItemForTheNextCall(t *testing.T) {
	var b Box[string]
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()

	if _, err := b.Next(ctx, "a", startsWith("a")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next = %v, want the deadline", err)
	}

	b.Add("a1")
	if got, err := b.Next(t.Context(), "a", startsWith("a")); got != "a1" || err != nil {
		t.Errorf("Next after a timeout = %q, %v; want a1", got, err)
	}
}
