package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
)

// logHandler is the kit's logger during a run. Every record is formatted
// as JSON, as a production app would log it, so that logging costs what
// it costs there, but little is printed: a login flood logs a warning per
// refused attempt, and an error per request the database could not
// serve in time. The first few errors of each message are printed as
// they come; warnings and errors are counted by message, for the
// summary.
type logHandler struct {
	all    slog.Handler // every record, to io.Discard
	errors slog.Handler // the errors printed
	counts *logCounts
}

// printedErrors is how many errors of one message are printed.
const printedErrors = 3

// logCounts counts the warnings and errors logged, by level and message.
type logCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func newLogHandler(w io.Writer) *logHandler {
	return &logHandler{
		all:    slog.NewJSONHandler(io.Discard, nil),
		errors: slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelError}),
		counts: &logCounts{n: map[string]int{}},
	}
}

func (h *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.all.Enabled(ctx, level)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if err := h.all.Handle(ctx, r); err != nil {
		return err
	}
	if r.Level < slog.LevelWarn {
		return nil
	}
	key := r.Level.String() + " " + r.Message
	h.counts.mu.Lock()
	h.counts.n[key]++
	n := h.counts.n[key]
	h.counts.mu.Unlock()
	if r.Level >= slog.LevelError && n <= printedErrors {
		return h.errors.Handle(ctx, r)
	}
	return nil
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{all: h.all.WithAttrs(attrs), errors: h.errors.WithAttrs(attrs), counts: h.counts}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{all: h.all.WithGroup(name), errors: h.errors.WithGroup(name), counts: h.counts}
}

// summary lists the warnings and errors logged so far, as
// `WARN "message" ×n` lines, or is empty.
func (h *logHandler) summary() []string {
	h.counts.mu.Lock()
	defer h.counts.mu.Unlock()
	var lines []string
	for _, key := range slices.Sorted(maps.Keys(h.counts.n)) {
		level, msg, _ := strings.Cut(key, " ")
		lines = append(lines, fmt.Sprintf("%s %q ×%d", level, msg, h.counts.n[key]))
	}
	return lines
}
