package passhash

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

const testPassword = "correct horse battery staple"

// Parts of a well-formed argon2id encoding that no password matches, for
// tests that need one without running argon2.
const (
	wellFormedSalt = "c2FsdHNhbHRzYWx0c2FsdA"                      // 16 bytes
	wellFormedKey  = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g" // 32 bytes
	wellFormed     = "$argon2id$v=19$m=19456,t=2,p=1$" + wellFormedSalt + "$" + wellFormedKey
)

func newHasher(t *testing.T, maxConcurrent int) *Hasher {
	t.Helper()
	h, err := New(DefaultParams, maxConcurrent)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h
}

// mustHash returns h.Hash(password) and stops the test if it fails.
func mustHash(t *testing.T, h *Hasher, password string) string {
	t.Helper()
	encoded, err := h.Hash(t.Context(), password)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return encoded
}

// encodeWith makes an argon2id encoding the way another system might have,
// with parameters and sizes this package would not choose today.
func encodeWith(password string, p Params, saltLen, keyLen int) string {
	salt := randomBytes(saltLen)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(keyLen))
	return encodeArgon2id(argon2Hash{params: p, salt: salt, key: key})
}

// SEC-P1
func TestHash_RoundTripsThroughVerify(t *testing.T) {
	h := newHasher(t, 0)
	encoded := mustHash(t, h, testPassword)
	ok, needsRehash, err := h.Verify(t.Context(), encoded, testPassword)
	if !ok || needsRehash || err != nil {
		t.Errorf("Verify = %v, %v, %v; want true, false, nil", ok, needsRehash, err)
	}
}

func TestVerify_RejectsAWrongPassword(t *testing.T) {
	h := newHasher(t, 0)
	encoded := mustHash(t, h, testPassword)
	for _, wrong := range []string{"correct horse battery stapl", "Correct horse battery staple", ""} {
		ok, needsRehash, err := h.Verify(t.Context(), encoded, wrong)
		if ok || needsRehash || err != nil {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, nil", wrong, ok, needsRehash, err)
		}
	}
}

// SEC-P1: the stored string names argon2id and the OWASP minimum, with a
// 16-byte salt and a 32-byte hash in unpadded base64.
func TestHash_WritesArgon2idPHCStringWithTheOWASPMinimum(t *testing.T) {
	h := newHasher(t, 0)
	encoded := mustHash(t, h, testPassword)
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)
	m := phc.FindStringSubmatch(encoded)
	if m == nil {
		t.Fatalf("Hash = %q, want $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", encoded)
	}
	salt, err := base64.RawStdEncoding.DecodeString(m[1])
	if err != nil || len(salt) != 16 {
		t.Errorf("salt %q decodes to %d bytes (err %v), want 16", m[1], len(salt), err)
	}
	key, err := base64.RawStdEncoding.DecodeString(m[2])
	if err != nil || len(key) != 32 {
		t.Errorf("hash %q decodes to %d bytes (err %v), want 32", m[2], len(key), err)
	}
}

func TestHash_UsesAFreshSaltEachTime(t *testing.T) {
	h := newHasher(t, 0)
	first := mustHash(t, h, testPassword)
	second := mustHash(t, h, testPassword)
	if strings.Split(first, "$")[4] == strings.Split(second, "$")[4] {
		t.Errorf("two hashes of one password share a salt: %q and %q", first, second)
	}
}

// SEC-P1: legacy bcrypt hashes still log their users in, and ask to be
// replaced by argon2id.
func TestVerify_AcceptsBcryptHashesAndAsksForARehash(t *testing.T) {
	h := newHasher(t, 0)
	legacy, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("bcrypt: %v", err)
	}
	// x/crypto writes $2a$; $2b$ and $2y$ name the same algorithm.
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		encoded := prefix + string(legacy[4:])
		ok, needsRehash, err := h.Verify(t.Context(), encoded, testPassword)
		if !ok || !needsRehash || err != nil {
			t.Errorf("Verify(%s…) = %v, %v, %v; want true, true, nil", prefix, ok, needsRehash, err)
		}
		ok, needsRehash, err = h.Verify(t.Context(), encoded, "wrong password")
		if ok || needsRehash || err != nil {
			t.Errorf("Verify(%s…, wrong) = %v, %v, %v; want false, false, nil", prefix, ok, needsRehash, err)
		}
	}
}

// bcrypt never read past byte 72, so the legacy hash of a long password
// matches on those bytes alone; the rehash then stores the whole password.
func TestVerify_ComparesTheFirst72BytesOfAPasswordAgainstBcrypt(t *testing.T) {
	h := newHasher(t, 0)
	first72 := strings.Repeat("a", 72)
	legacy, err := bcrypt.GenerateFromPassword([]byte(first72), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("bcrypt: %v", err)
	}
	ok, needsRehash, err := h.Verify(t.Context(), string(legacy), first72+" and the rest")
	if !ok || !needsRehash || err != nil {
		t.Errorf("Verify = %v, %v, %v; want true, true, nil", ok, needsRehash, err)
	}
}

// SEC-P1: a hash made with less memory, fewer passes or shorter salt or hash
// than the current settings is upgraded; a stronger one is left alone.
func TestVerify_AsksForARehashOnlyWhenArgon2SettingsAreWeaker(t *testing.T) {
	h := newHasher(t, 0)
	tests := []struct {
		name        string
		params      Params
		saltLen     int
		keyLen      int
		needsRehash bool
	}{
		{"current settings are kept", DefaultParams, 16, 32, false},
		{"less memory is upgraded", Params{Memory: 8 * 1024, Time: 2, Threads: 1}, 16, 32, true},
		{"fewer passes are upgraded", Params{Memory: 19 * 1024, Time: 1, Threads: 1}, 16, 32, true},
		{"a shorter salt is upgraded", DefaultParams, 8, 32, true},
		{"a shorter hash is upgraded", DefaultParams, 16, 16, true},
		{"more memory is kept", Params{Memory: 32 * 1024, Time: 2, Threads: 1}, 16, 32, false},
		{"more passes and threads are kept", Params{Memory: 19 * 1024, Time: 3, Threads: 2}, 16, 32, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded := encodeWith(testPassword, tt.params, tt.saltLen, tt.keyLen)
			ok, needsRehash, err := h.Verify(t.Context(), encoded, testPassword)
			if !ok || needsRehash != tt.needsRehash || err != nil {
				t.Errorf("Verify = %v, %v, %v; want true, %v, nil", ok, needsRehash, err, tt.needsRehash)
			}
		})
	}
}

// A corrupt or foreign row in the database must fail closed with a typed
// error, never panic and never match.
func TestVerify_RefusesMalformedHashesWithATypedError(t *testing.T) {
	const salt, key, valid = wellFormedSalt, wellFormedKey, wellFormed
	if _, err := parseArgon2id(valid); err != nil {
		t.Fatalf("the template %q does not parse: %v", valid, err)
	}
	withParams := func(params string) string {
		return "$argon2id$v=19$" + params + "$" + salt + "$" + key
	}
	tests := []struct{ name, encoded string }{
		{"empty", ""},
		{"plain text", testPassword},
		{"a lone dollar", "$"},
		{"scheme only", "$argon2id$"},
		{"argon2i", strings.Replace(valid, "argon2id", "argon2i", 1)},
		{"argon2d", strings.Replace(valid, "argon2id", "argon2d", 1)},
		{"scrypt", "$scrypt$ln=16,r=8,p=1$" + salt + "$" + key},
		{"upper-case scheme", strings.Replace(valid, "argon2id", "ARGON2ID", 1)},
		{"version 16", strings.Replace(valid, "v=19", "v=16", 1)},
		{"no version", "$argon2id$m=19456,t=2,p=1$" + salt + "$" + key},
		{"leading text", "x" + valid},
		{"trailing field", valid + "$"},
		{"parameters out of order", withParams("t=2,m=19456,p=1")},
		{"a missing parameter", withParams("m=19456,t=2")},
		{"an extra parameter", withParams("m=19456,t=2,p=1,keyid=1")},
		{"spaces in parameters", withParams("m=19456, t=2, p=1")},
		{"negative memory", withParams("m=-1,t=2,p=1")},
		{"memory not a number", withParams("m=lots,t=2,p=1")},
		{"memory with a leading zero", withParams("m=019456,t=2,p=1")},
		{"memory with a plus sign", withParams("m=+19456,t=2,p=1")},
		{"memory beyond 32 bits", withParams("m=4294967296,t=2,p=1")},
		{"memory below 8 KiB per thread", withParams("m=15,t=2,p=2")},
		{"zero passes", withParams("m=19456,t=0,p=1")},
		{"zero threads", withParams("m=19456,t=2,p=0")},
		{"threads beyond 8 bits", withParams("m=19456,t=2,p=256")},
		{"an empty hash, which every password would match", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$"},
		{"a hash of 8 bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$aGFzaGhhc2g"},
		{"an empty salt", "$argon2id$v=19$m=19456,t=2,p=1$$" + key},
		{"padded base64", valid + "="},
		{"a line break in base64", "$argon2id$v=19$m=19456,t=2,p=1$" + salt[:11] + "\n" + salt[11:] + "$" + key},
		{"stray trailing bits", "$argon2id$v=19$m=19456,t=2,p=1$" + salt[:21] + "B$" + key},
		{"URL-safe base64", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.Repeat("_", 43)},
		{"far too long", valid + strings.Repeat("A", 1000)},
		{"bcrypt too short", "$2a$10$abc"},
		{"bcrypt with an unknown minor version", "$2x$04$" + strings.Repeat("a", 53)},
		{"bcrypt without a minor version", "$2$04$" + strings.Repeat("a", 53)},
		{"bcrypt with cost 99", "$2a$99$" + strings.Repeat("a", 53)},
		{"bcrypt with a cost that is not a number", "$2a$xx$" + strings.Repeat("a", 53)},
		{"bcrypt with a salt that is not base64", "$2a$04$" + strings.Repeat("!", 53)},
	}
	wantMalformed(t, tests)
}

// wantMalformed checks that Verify refuses each encoding with an error
// that wraps ErrMalformedHash and does not quote it.
func wantMalformed(t *testing.T, tests []struct{ name, encoded string }) {
	t.Helper()
	h := newHasher(t, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, needsRehash, err := h.Verify(t.Context(), tt.encoded, testPassword)
			if ok || needsRehash || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Verify = %v, %v, %v; want false, false, ErrMalformedHash", ok, needsRehash, err)
			}
			if len(tt.encoded) > 2 && strings.Contains(err.Error(), tt.encoded) {
				t.Errorf("the error %q quotes the hash", err)
			}
		})
	}
}

// FuzzParseArgon2id checks that no input makes the parser panic, and that
// whatever it accepts is exactly what encodeArgon2id would write.
func FuzzParseArgon2id(f *testing.F) {
	f.Add(wellFormed)
	f.Add(strings.Replace(wellFormed, "m=", "m=0", 1))
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$$")
	f.Fuzz(func(t *testing.T, encoded string) {
		hash, err := parseArgon2id(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) && !errors.Is(err, ErrCostTooHigh) {
				t.Fatalf("parseArgon2id(%q) error %v wraps neither ErrMalformedHash nor ErrCostTooHigh", encoded, err)
			}
			return
		}
		if again := encodeArgon2id(hash); again != encoded {
			t.Errorf("parseArgon2id(%q) accepted a string that re-encodes as %q", encoded, again)
		}
	})
}

// SEC-P1: settings below the OWASP minimum are a configuration error.
func TestNew_RefusesParamsBelowTheOWASPMinimum(t *testing.T) {
	for _, p := range []Params{
		{Memory: 19*1024 - 1, Time: 2, Threads: 1},
		{Memory: 19 * 1024, Time: 1, Threads: 1},
		{Memory: 19 * 1024, Time: 2, Threads: 0},
		{},
	} {
		if _, err := New(p, 0); !errors.Is(err, ErrWeakParams) {
			t.Errorf("New(%+v) error = %v, want ErrWeakParams", p, err)
		}
	}
}

func TestNew_RefusesMemoryAboveTheCeilingAndANegativeBound(t *testing.T) {
	if _, err := New(Params{Memory: maxMemory + 1, Time: 2, Threads: 1}, 0); err == nil {
		t.Error("New accepted a memory cost above 2 GiB")
	}
	if _, err := New(DefaultParams, -1); err == nil {
		t.Error("New accepted a negative maxConcurrent")
	}
}

func TestNew_BoundsConcurrencyByGOMAXPROCSByDefault(t *testing.T) {
	h := newHasher(t, 0)
	if got, want := cap(h.slots), runtime.GOMAXPROCS(0); got != want {
		t.Errorf("default bound = %d, want GOMAXPROCS = %d", got, want)
	}
}

// heldDerive replaces the argon2 call with one that records how many runs
// are in progress and blocks until release is closed.
type heldDerive struct {
	release chan struct{}

	mu      sync.Mutex
	running int
	peak    int
}

func (d *heldDerive) derive(_, _ []byte, _ Params, keyLen uint32) []byte {
	d.mu.Lock()
	d.running++
	d.peak = max(d.peak, d.running)
	d.mu.Unlock()
	<-d.release
	d.mu.Lock()
	d.running--
	d.mu.Unlock()
	return make([]byte, keyLen)
}

func (d *heldDerive) counts() (running, peak int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running, d.peak
}

// SEC-P4: a login flood queues for slots instead of allocating argon2 memory
// for every request at once.
func TestHasher_RunsNoMoreThanMaxConcurrentHashesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const maxConcurrent = 3
		h := newHasher(t, maxConcurrent)
		held := &heldDerive{release: make(chan struct{})}
		h.derive = held.derive

		var wg sync.WaitGroup
		for range 4 * maxConcurrent {
			wg.Go(func() {
				if _, err := h.Hash(context.Background(), testPassword); err != nil {
					t.Errorf("Hash: %v", err)
				}
			})
		}
		// Every goroutine is now either inside argon2 or waiting for a slot.
		synctest.Wait()
		if running, _ := held.counts(); running != maxConcurrent {
			t.Errorf("%d hashes running while %d goroutines asked, want %d", running, 4*maxConcurrent, maxConcurrent)
		}
		close(held.release)
		wg.Wait()
		if _, peak := held.counts(); peak != maxConcurrent {
			t.Errorf("at most %d hashes ran at once, want %d", peak, maxConcurrent)
		}
	})
}

// SEC-P4: a request that gives up while queued leaves the queue at once.
func TestHasher_ReturnsTheContextErrorWhenCancelledWhileWaitingForASlot(t *testing.T) {
	legacy, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("bcrypt: %v", err)
	}
	calls := map[string]func(context.Context, *Hasher) error{
		"Hash": func(ctx context.Context, h *Hasher) error {
			_, err := h.Hash(ctx, testPassword)
			return err
		},
		"Verify": func(ctx context.Context, h *Hasher) error {
			_, _, err := h.Verify(ctx, wellFormed, testPassword)
			return err
		},
		"Verify of a bcrypt hash": func(ctx context.Context, h *Hasher) error {
			_, _, err := h.Verify(ctx, string(legacy), testPassword)
			return err
		},
		"VerifyDummy": func(ctx context.Context, h *Hasher) error {
			return h.VerifyDummy(ctx, testPassword)
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHasher(t, 1)
				held := &heldDerive{release: make(chan struct{})}
				h.derive = held.derive
				var wg sync.WaitGroup
				wg.Go(func() { _, _ = h.Hash(context.Background(), "holds the only slot") })
				synctest.Wait()

				ctx, cancel := context.WithCancel(context.Background())
				var waitErr error
				wg.Go(func() { waitErr = call(ctx, h) })
				// The call is now blocked waiting for the slot.
				synctest.Wait()
				cancel()
				synctest.Wait()
				if !errors.Is(waitErr, context.Canceled) {
					t.Errorf("%s error = %v, want context.Canceled", name, waitErr)
				}
				close(held.release)
				wg.Wait()
			})
		})
	}
}

// A request whose client has already gone gets no slot, even a free one.
func TestHasher_DoesNoWorkForAnAlreadyCancelledRequest(t *testing.T) {
	h := newHasher(t, 1)
	counter := countArgon2(h)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.Hash(ctx, testPassword); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash error = %v, want context.Canceled", err)
	}
	if len(counter.calls) != 0 {
		t.Errorf("argon2 ran %d times for a cancelled request, want 0", len(counter.calls))
	}
}

// countingDerive counts argon2 runs and records the settings of each.
type countingDerive struct {
	mu    sync.Mutex
	calls []string
}

func (d *countingDerive) derive(password, salt []byte, p Params, keyLen uint32) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, encodeArgon2id(argon2Hash{params: p, salt: make([]byte, len(salt)), key: make([]byte, keyLen)}))
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, keyLen)
}

// countArgon2 makes h record each argon2 run from now on.
func countArgon2(h *Hasher) *countingDerive {
	counter := &countingDerive{}
	h.derive = counter.derive
	return counter
}

// SEC-P4: an oversize password is refused before any hashing work.
func TestHasher_RefusesAnOversizePasswordWithoutHashing(t *testing.T) {
	h := newHasher(t, 0)
	encoded := mustHash(t, h, testPassword)
	counter := countArgon2(h)
	oversize := strings.Repeat("a", MaxPasswordBytes+1)

	if _, err := h.Hash(t.Context(), oversize); !errors.Is(err, ErrPasswordTooLong) {
		t.Errorf("Hash error = %v, want ErrPasswordTooLong", err)
	}
	if _, _, err := h.Verify(t.Context(), encoded, oversize); !errors.Is(err, ErrPasswordTooLong) {
		t.Errorf("Verify error = %v, want ErrPasswordTooLong", err)
	}
	if err := h.VerifyDummy(t.Context(), oversize); !errors.Is(err, ErrPasswordTooLong) {
		t.Errorf("VerifyDummy error = %v, want ErrPasswordTooLong", err)
	}
	if len(counter.calls) != 0 {
		t.Errorf("argon2 ran %d times for an oversize password, want 0", len(counter.calls))
	}

	if _, err := h.Hash(t.Context(), oversize[1:]); err != nil {
		t.Errorf("Hash of exactly MaxPasswordBytes: %v", err)
	}
}

// SEC-E1: an unknown account costs one argon2 run with the current settings,
// exactly what a wrong password for a real account costs.
func TestVerifyDummy_DoesTheSameArgon2WorkAsAFailedVerify(t *testing.T) {
	h := newHasher(t, 0)
	encoded := mustHash(t, h, testPassword)
	counter := countArgon2(h)

	if _, _, err := h.Verify(t.Context(), encoded, "wrong password"); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if err := h.VerifyDummy(t.Context(), "wrong password"); err != nil {
		t.Fatalf("VerifyDummy: %v", err)
	}
	if len(counter.calls) != 2 || counter.calls[0] != counter.calls[1] {
		t.Errorf("argon2 runs = %q, want two identical runs", counter.calls)
	}
}

func BenchmarkHasher_Hash(b *testing.B) {
	h, err := New(DefaultParams, 0)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := h.Hash(b.Context(), testPassword); err != nil {
			b.Fatal(err)
		}
	}
}

func TestKey_IsDeterministicPerSaltAndUsesArgon2id(t *testing.T) {
	h, err := New(DefaultParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	salt1, salt2 := []byte("0123456789abcdef"), []byte("fedcba9876543210")
	a, err := h.Key(ctx, "abcde-fghij", salt1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := h.Key(ctx, "abcde-fghij", salt1)
	c, _ := h.Key(ctx, "abcde-fghij", salt2)
	want := argon2.IDKey([]byte("abcde-fghij"), salt1, DefaultParams.Time, DefaultParams.Memory, DefaultParams.Threads, 32)
	if !bytes.Equal(a, b) || bytes.Equal(a, c) || !bytes.Equal(a, want) {
		t.Fatal("Key must be argon2id of the secret under the salt, the same every time")
	}
	if _, err := h.Key(ctx, strings.Repeat("x", MaxPasswordBytes+1), salt1); !errors.Is(err, ErrPasswordTooLong) {
		t.Fatalf("oversize secret: %v", err)
	}
}

// SEC-I7: a planted hash whose parameters are refused never waits for a
// slot, so even a flood of logins meeting it stalls nobody: with every
// slot busy, it is refused at once.
func TestVerify_RefusesACostlyHashWithoutWaitingForABusySlot(t *testing.T) {
	h := newHasher(t, 1)
	held := &heldDerive{release: make(chan struct{})}
	h.derive = held.derive
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := h.Hash(context.Background(), testPassword); err != nil {
			t.Errorf("Hash: %v", err)
		}
	}()
	for running, _ := held.counts(); running == 0; running, _ = held.counts() {
		time.Sleep(time.Millisecond)
	}
	planted := "$argon2id$v=19$m=2097152,t=4294967295,p=1$" + wellFormedSalt + "$" + wellFormedKey
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := h.Verify(ctx, planted, testPassword)
	if !errors.Is(err, ErrCostTooHigh) {
		t.Errorf("Verify of a planted hash while the only slot is busy = %v, want ErrCostTooHigh at once", err)
	}
	close(held.release)
	<-done
}
