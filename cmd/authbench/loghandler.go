package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
)

// logHandler is the kit's logger during a run. Every record is formatted
// as JSON, as a production app would log it, so that logging costs what
// it costs there, but nothing is printed as it comes: a login flood logs
// a warning per refused attempt. Errors are printed; warnings are counted
// by message, for summary.
type logHandler struct {
	all    slog.Handler // every record, to io.Discard
	errors slog.Handler // errors, printed
	counts *warnings
}

// warnings counts the warnings logged, by message.
type warnings struct {
	mu sync.Mutex
	n  map[string]int
}

func newLogHandler(w io.Writer) *logHandler {
	return &logHandler{
		all:    slog.NewJSONHandler(io.Discard, nil),
		errors: slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelError}),
		counts: &warnings{n: map[string]int{}},
	}
}

func (h *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.all.Enabled(ctx, level)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if err := h.all.Handle(ctx, r); err != nil {
		return err
	}
	switch {
	case r.Level >= slog.LevelError:
		return h.errors.Handle(ctx, r)
	case r.Level >= slog.LevelWarn:
		h.counts.mu.Lock()
		h.counts.n[r.Message]++
		h.counts.mu.Unlock()
	}
	return nil
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{all: h.all.WithAttrs(attrs), errors: h.errors.WithAttrs(attrs), counts: h.counts}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{all: h.all.WithGroup(name), errors: h.errors.WithGroup(name), counts: h.counts}
}

// summary lists the warnings logged so far, as `"message" ×n` lines, or
// is empty.
func (h *logHandler) summary() []string {
	h.counts.mu.Lock()
	defer h.counts.mu.Unlock()
	var lines []string
	for _, msg := range slices.Sorted(maps.Keys(h.counts.n)) {
		lines = append(lines, fmt.Sprintf("%q ×%d", msg, h.counts.n[msg]))
	}
	return lines
}
