package authkit

import "github.com/authkit/authkit/internal/capture"

// outbox keeps what a development sender sent, for tests and for
// development pages that show it. It is capture.Box, which authkittest's
// capturing senders use too, under the names DevMailer and DevSMS call.
type outbox[T any] struct{ box capture.Box[T] }

func (o *outbox[T]) add(item T) { o.box.Add(item) }

func (o *outbox[T]) all() []T { return o.box.All() }

// last returns the newest item for which match is true.
func (o *outbox[T]) last(match func(T) bool) (T, bool) { return o.box.Last(match) }
