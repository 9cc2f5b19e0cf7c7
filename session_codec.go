package authkit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	"github.com/alexedwards/scs/v2"
)

// sessionCodec is the scs codec of authkit's own session store. It writes
// authkit's state in a compact fixed layout instead of gob, which builds a
// decoder and compiles the type on every request and was a third of a
// logged-in request's CPU; the app's own session values, if any, still go
// through gob. It reads the gob sessions written before it existed.
type sessionCodec struct{}

// codecMagic starts every session the codec writes; a gob stream never
// starts with it (gob's first byte is a message length, and this is not a
// length followed by a type definition).
var codecMagic = []byte("\x00ak1")

var errBadSession = errors.New("authkit: malformed session data")

const (
	hasState = 1 << iota
	hasOther
	hasPending
	isRemembered
)

// Encode writes deadline and values.
func (sessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	b := append(make([]byte, 0, 96), codecMagic...)
	st, ok := values[sessionKey].(sessionState)
	others := len(values)
	flags := uint64(0)
	if ok {
		flags |= hasState
		others--
		if st.Pending != nil {
			flags |= hasPending
		}
		if st.Remembered {
			flags |= isRemembered
		}
	}
	if others > 0 {
		flags |= hasOther
	}
	b = binary.AppendUvarint(b, flags)
	b = appendTime(b, deadline)
	if ok {
		b = binary.AppendVarint(b, st.UserID)
		b = appendString(b, st.RememberSelector)
		b = appendTime(b, st.PasswordAt)
		b = appendTime(b, st.CreatedAt)
		b = appendTime(b, st.LastActive)
		if p := st.Pending; p != nil {
			b = appendString(b, p.AttemptID)
			b = binary.AppendVarint(b, p.UserID)
			b = appendTime(b, p.ExpiresAt)
		}
	}
	if others > 0 {
		rest := make(map[string]any, others)
		for k, v := range values {
			if k != sessionKey {
				rest[k] = v
			}
		}
		g, err := scs.GobCodec{}.Encode(time.Time{}, rest)
		if err != nil {
			return nil, err
		}
		b = append(b, g...)
	}
	return b, nil
}

// Decode reads what Encode wrote, or a gob session from before it.
func (sessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	if !bytes.HasPrefix(b, codecMagic) {
		return scs.GobCodec{}.Decode(b)
	}
	r := reader{b: b[len(codecMagic):]}
	flags := r.uvarint()
	deadline := r.time()
	values := map[string]any{}
	if flags&hasState != 0 {
		st := sessionState{
			UserID:           r.varint(),
			Remembered:       flags&isRemembered != 0,
			RememberSelector: r.string(),
			PasswordAt:       r.time(),
			CreatedAt:        r.time(),
			LastActive:       r.time(),
		}
		if flags&hasPending != 0 {
			st.Pending = &pendingLogin{AttemptID: r.string(), UserID: r.varint(), ExpiresAt: r.time()}
		}
		values[sessionKey] = st
	}
	if r.err != nil {
		return time.Time{}, nil, r.err
	}
	if flags&hasOther != 0 {
		_, rest, err := scs.GobCodec{}.Decode(r.b)
		if err != nil {
			return time.Time{}, nil, err
		}
		for k, v := range rest {
			values[k] = v
		}
	}
	return deadline, values, nil
}

// Times are microseconds since the Unix epoch (PostgreSQL's precision),
// 0 for the zero time.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixMicro())
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// reader decodes the fields Encode appends; the first malformed one sets
// err, and everything after it reads as zero.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errBadSession
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errBadSession
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) time() time.Time {
	us := r.varint()
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBadSession
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
