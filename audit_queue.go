package authkit

import (
	"context"

	"sync/atomic"
	"time"

	"github.com/authkit/authkit/internal/store"
)

// The audit entries of refused attempts (failed or throttled logins,
// wrong codes) do not cost their request a write: a login flood is mostly
// refused attempts, and one INSERT each would take the connections that
// everyone else's requests need. They go through a bounded queue that a
// background writer empties in batches, one statement per batch. Nothing
// is lost while the queue has room; when a flood fills it, entries are
// dropped, counted, and a warning says how many.

const (
	auditQueueSize = 4096
	auditBatchSize = 256
	auditFlushGap  = 100 * time.Millisecond
)

type auditQueue struct {
	entries chan store.AuditEntry
	flushes chan chan struct{}
	stop    chan struct{}
	done    chan struct{}

	dropped  atomic.Int64
	warnedAt atomic.Int64 // unix seconds of the last warning about drops
}

func (k *Kit) startAuditQueue() {
	q := &auditQueue{
		entries: make(chan store.AuditEntry, auditQueueSize),
		flushes: make(chan chan struct{}),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	k.auditQ = q
	go k.writeAudits(q)
}

// enqueueAudit queues an entry for the background writer, or drops it if
// the queue is full.
func (k *Kit) enqueueAudit(entry store.AuditEntry) {
	q := k.auditQ
	select {
	case q.entries <- entry:
		return
	default:
	}
	n := q.dropped.Add(1)
	now := time.Now().Unix()
	if last := q.warnedAt.Load(); now > last && q.warnedAt.CompareAndSwap(last, now) {
		k.log.Warn("authkit: the audit queue is full; entries of refused attempts were dropped", "dropped_total", n)
	}
}

// writeAudits is the background writer.
func (k *Kit) writeAudits(q *auditQueue) {
	defer close(q.done)
	batch := make([]store.AuditEntry, 0, auditBatchSize)
	write := func() {
		if len(batch) == 0 {
			return
		}
		if err := k.store.InsertAudits(context.Background(), batch); err != nil {
			k.log.Error("authkit: writing audit entries failed", "entries", len(batch), "error", err)
		}
		batch = batch[:0]
	}
	drain := func() {
		for {
			select {
			case e := <-q.entries:
				batch = append(batch, e)
				if len(batch) == auditBatchSize {
					write()
				}
			default:
				write()
				return
			}
		}
	}
	tick := time.NewTicker(auditFlushGap)
	defer tick.Stop()
	for {
		select {
		case e := <-q.entries:
			batch = append(batch, e)
			if len(batch) == auditBatchSize {
				write()
			}
		case <-tick.C:
			write()
		case reply := <-q.flushes:
			drain()
			close(reply)
		case <-q.stop:
			drain()
			return
		}
	}
}

// flushAudit writes every queued entry before it returns, so that a read
// of the audit log sees them.
func (k *Kit) flushAudit(ctx context.Context) {
	reply := make(chan struct{})
	select {
	case k.auditQ.flushes <- reply:
	case <-k.auditQ.done:
		return
	case <-ctx.Done():
		return
	}
	select {
	case <-reply:
	case <-ctx.Done():
	}
}

// close writes what is queued and stops the writer.
func (q *auditQueue) close() {
	close(q.stop)
	<-q.done
}
