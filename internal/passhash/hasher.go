package passhash

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/crypto/argon2"
)

// MaxPasswordBytes is the longest password, in bytes of UTF-8, that a
// [Hasher] will hash or verify. The account policy allows 256 code points,
// at most 1024 bytes; the larger limit leaves room for normalisation while
// keeping a megabyte "password" from reaching the hash function.
const MaxPasswordBytes = 4096

// The OWASP minimum for argon2id (SEC-P1). New refuses anything weaker, so a
// misconfiguration cannot quietly lower the cost of an offline attack.
const (
	minMemory  = 19 * 1024
	minTime    = 2
	minThreads = 1
)

// maxMemory (2 GiB, in KiB) is the memory parameter of RFC 9106's first
// recommended setting, the largest the RFC suggests. Verify refuses
// stored hashes that ask for more, so a corrupt or planted row cannot make
// one verification allocate terabytes.
const maxMemory = 2 * 1024 * 1024

// maxArgon2Work bounds memory times passes (in KiB) of a stored argon2id
// hash: 4 GiB-passes, libsodium's "sensitive" preset (1 GiB, 4 passes) and
// the costliest of the common libraries' presets, about four seconds of one
// core. Passes over little memory are cheap, so it is their product that
// measures the work.
const maxArgon2Work = 4 * 1024 * 1024

// saltLen and keyLen are the sizes, in bytes, of the salt and hash in new
// encodings; RFC 9106 recommends 16 and 32.
const (
	saltLen = 16
	keyLen  = 32
)

// ErrPasswordTooLong is returned, before any hashing, for a password longer
// than [MaxPasswordBytes].
var ErrPasswordTooLong = fmt.Errorf("passhash: password longer than %d bytes", MaxPasswordBytes)

// ErrMalformedHash is wrapped by the error Verify and Check return for an
// encoded hash that is not one of the schemes [Check] lists, or not written
// as that scheme writes it. The wrapping error names what is wrong but never
// quotes the hash.
var ErrMalformedHash = errors.New("passhash: malformed encoded hash")

// ErrCostTooHigh is wrapped by the error Verify and Check return for a hash
// whose parameters ask for more work than a login may take (SEC-I7): past
// about four seconds of one server core, beyond what any common system's
// defaults cost. A corrupt or planted row is refused outright rather than
// allowed to stall every login that meets it.
var ErrCostTooHigh = errors.New("passhash: hash parameters cost more than a login may take")

// ErrWeakParams is returned by [New] for parameters below the OWASP minimum
// for argon2id: 19 MiB of memory, 2 passes, 1 thread.
var ErrWeakParams = errors.New("passhash: argon2id parameters below the OWASP minimum (m=19456 KiB, t=2, p=1)")

// Params are the argon2id cost parameters.
type Params struct {
	// Memory is the memory cost in KiB; each hash allocates all of it.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
}

// DefaultParams is the OWASP minimum for argon2id (SEC-P1), which costs
// tens of milliseconds on a server core: the most a login can afford when
// many arrive at once.
var DefaultParams = Params{Memory: minMemory, Time: minTime, Threads: minThreads}

// weakerThan reports whether p is below current in any parameter.
func (p Params) weakerThan(current Params) bool {
	return p.Memory < current.Memory || p.Time < current.Time || p.Threads < current.Threads
}

// Hasher hashes and verifies passwords with bounded concurrency. It is safe
// for concurrent use.
type Hasher struct {
	params Params
	// slots holds one token per hash in progress; its capacity is the bound.
	slots chan struct{}
	// dummy is an argon2id encoding with the current parameters whose hash
	// bytes are random, so no password matches it.
	dummy string
	// derive runs argon2id. Tests replace it to count and hold runs.
	derive func(password, salt []byte, p Params, keyLen uint32) []byte
}

// New returns a Hasher that makes argon2id hashes with params and lets at
// most maxConcurrent hashes run at once; the rest wait for a slot.
//
// A maxConcurrent of 0 means runtime.GOMAXPROCS(0): argon2id is CPU-bound,
// so running more at once than there are cores adds memory (maxConcurrent
// times params.Memory) and latency but no throughput.
//
// New returns [ErrWeakParams] for parameters below the OWASP minimum and an
// error for a negative maxConcurrent or a memory cost above 2 GiB.
func New(params Params, maxConcurrent int) (*Hasher, error) {
	if params.Memory < minMemory || params.Time < minTime || params.Threads < minThreads {
		return nil, ErrWeakParams
	}
	if params.Memory > maxMemory {
		return nil, fmt.Errorf("passhash: memory cost %d KiB above the %d KiB ceiling", params.Memory, maxMemory)
	}
	if maxConcurrent < 0 {
		return nil, fmt.Errorf("passhash: maxConcurrent %d is negative", maxConcurrent)
	}
	if maxConcurrent == 0 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	return &Hasher{
		params: params,
		slots:  make(chan struct{}, maxConcurrent),
		dummy:  encodeArgon2id(argon2Hash{params: params, salt: randomBytes(saltLen), key: randomBytes(keyLen)}),
		derive: func(password, salt []byte, p Params, keyLen uint32) []byte {
			return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, keyLen)
		},
	}, nil
}

// Hash returns the argon2id PHC encoding of password with a fresh random
// salt. The caller normalises the password (NFC) first.
//
// Hash returns [ErrPasswordTooLong] without hashing for a password longer
// than [MaxPasswordBytes], and ctx.Err() if ctx ends while it waits for a
// slot.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", ErrPasswordTooLong
	}
	hash := argon2Hash{params: h.params, salt: randomBytes(saltLen)}
	err := h.withSlot(ctx, func() {
		hash.key = h.derive([]byte(password), hash.salt, h.params, keyLen)
	})
	if err != nil {
		return "", err
	}
	return encodeArgon2id(hash), nil
}

// Key derives a 32-byte key from secret and salt with argon2id and the
// Hasher's parameters, sharing its concurrency bound. Unlike Hash it is
// deterministic, so a secret can be found by its key: it suits short
// secrets that are looked up rather than compared one by one, such as
// backup codes under a salt shared by one user's set. It returns
// [ErrPasswordTooLong] for a secret longer than [MaxPasswordBytes] and
// ctx.Err() if ctx ends while it waits for a slot.
func (h *Hasher) Key(ctx context.Context, secret string, salt []byte) ([]byte, error) {
	if len(secret) > MaxPasswordBytes {
		return nil, ErrPasswordTooLong
	}
	var key []byte
	err := h.withSlot(ctx, func() { key = h.derive([]byte(secret), salt, h.params, keyLen) })
	return key, err
}

// Verify reports whether password matches encoded, a hash in any of the
// schemes [Check] accepts. The comparison takes constant time.
//
// When ok is true, needsRehash reports that encoded is not argon2id, or
// uses argon2id parameters, salt or hash length below the Hasher's current
// ones: the caller should then store Hash(password) in its place. When ok
// is false, needsRehash is false.
//
// bcrypt only ever read the first 72 bytes of a password, so for a bcrypt
// hash only those bytes are compared. Refusing longer passwords instead would
// lock out every user whose legacy system truncated silently; the rehash
// after their first login stores the whole password, ending the truncation.
//
// Verify returns, without hashing, the error Check would for encoded, and
// [ErrPasswordTooLong] for a password longer than [MaxPasswordBytes]; it
// returns ctx.Err() if ctx ends while it waits for a slot.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (ok, needsRehash bool, err error) {
	if len(password) > MaxPasswordBytes {
		return false, false, ErrPasswordTooLong
	}
	stored, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	var matchErr error
	if err := h.withSlot(ctx, func() { ok, matchErr = stored.matches(h, password) }); err != nil {
		return false, false, err
	}
	if matchErr != nil || !ok {
		return false, false, matchErr
	}
	return true, stored.outdated(h), nil
}

// VerifyDummy does the work of a Verify against a hash made with the current
// parameters, which no password matches. A login for an unknown account calls
// it so that it costs as much as a wrong password for a real one (SEC-E1).
//
// It returns the errors Verify would for the same ctx and password, so the
// caller can treat both paths alike.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, h.dummy, password)
	return err
}

// withSlot runs work once a slot is free, or returns ctx.Err() if ctx ends
// first. A request already cancelled gets no slot even if one is free: its
// client has gone, and the hash would be wasted work.
func (h *Hasher) withSlot(ctx context.Context, work func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-h.slots }()
	work()
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error; it aborts the program if the
	// system's random source fails.
	rand.Read(b)
	return b
}
