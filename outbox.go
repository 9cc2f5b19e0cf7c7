package authkit

import (
	"slices"
	"sync"
)

// outbox keeps what a development sender sent, for tests and for
// development pages that show it.
type outbox[T any] struct {
	mu    sync.Mutex
	items []T
}

func (o *outbox[T]) add(item T) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.items = append(o.items, item)
}

func (o *outbox[T]) all() []T {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.items)
}

// last returns the newest item for which match is true.
func (o *outbox[T]) last(match func(T) bool) (T, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.items) - 1; i >= 0; i-- {
		if match(o.items[i]) {
			return o.items[i], true
		}
	}
	var zero T
	return zero, false
}
