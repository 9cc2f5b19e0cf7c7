// Package capture keeps what development and test senders are given instead
// of delivering it, for pages and tests to read, and lets a test wait for a
// message that authkit sends in the background.
package capture

import (
	"context"
	"slices"
	"sync"
)

// Box keeps items in the order they were added. The zero value is an empty
// Box ready to use; a Box must not be copied after first use. It is safe for
// concurrent use.
type Box[T any] struct {
	mu    sync.Mutex
	items []T
	// taken counts, per key of Next, the matching items Next has returned.
	taken map[string]int
	// added is closed by the next Add, waking every Next that waits; nil
	// while nobody waits.
	added chan struct{}
}

// Add keeps item and wakes every Next that waits.
func (b *Box[T]) Add(item T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.items = append(b.items, item)
	if b.added != nil {
		close(b.added)
		b.added = nil
	}
}

// All returns the items kept so far, oldest first.
func (b *Box[T]) All() []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.items)
}

// Last returns the newest item for which match is true.
func (b *Box[T]) Last(match func(T) bool) (T, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, item := range slices.Backward(b.items) {
		if match(item) {
			return item, true
		}
	}
	var zero T
	return zero, false
}

// Next returns the items for which match is true one at a time, oldest
// first: each call with the same key returns the next such item that no
// earlier call returned, waiting for it to be added if need be. Counting
// per key rather than by time means an item added before Next was called
// is not missed. If ctx ends first, Next returns ctx.Err() and the item it
// waited for stays next for that key.
func (b *Box[T]) Next(ctx context.Context, key string, match func(T) bool) (T, error) {
	for {
		b.mu.Lock()
		seen := 0
		for _, item := range b.items {
			if !match(item) {
				continue
			}
			if seen == b.taken[key] {
				if b.taken == nil {
					b.taken = make(map[string]int)
				}
				b.taken[key]++
				b.mu.Unlock()
				return item, nil
			}
			seen++
		}
		if b.added == nil {
			b.added = make(chan struct{})
		}
		added := b.added
		b.mu.Unlock()

		select {
		case <-added:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}
