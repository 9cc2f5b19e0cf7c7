package pgcluster

import (
	"bytes"
	"sync"
)

// logTailSize is how much of the log an error message quotes: enough for
// the lines that say why the server stopped.
const logTailSize = 4 << 10

// logTail keeps the end of what is written to it, for error messages.
type logTail struct {
	mu  sync.Mutex
	buf []byte
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	// Trimming only at twice the size copies each byte about once.
	if len(l.buf) > 2*logTailSize {
		l.buf = append([]byte(nil), l.buf[len(l.buf)-logTailSize:]...)
	}
	return len(p), nil
}

// String returns the last logTailSize bytes, from the first line that is
// whole.
func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) <= logTailSize {
		return string(l.buf)
	}
	tail := l.buf[len(l.buf)-logTailSize:]
	if i := bytes.IndexByte(tail, '\n'); i >= 0 {
		tail = tail[i+1:]
	}
	return string(tail)
}
