package passkey_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// authenticator is a software WebAuthn authenticator and the browser in
// front of it, in one: it answers the options that the Begin calls write
// with real attestation and assertion objects (the "none" attestation
// format, ES256 keys), as navigator.credentials.create and get would. Its
// fields make it misbehave the ways the tests need.
type authenticator struct {
	t testing.TB
	// origin is the origin the browser reports in clientDataJSON.
	origin string
	// rpID, when set, is the RP ID whose hash the authenticator signs,
	// whatever the options say.
	rpID string
	// uv makes it verify its user (the UV flag).
	uv bool
	// be and bs are the backup-eligible and backup-state flags it reports.
	be, bs bool
	// counting makes its signature counter go up with each signature; a
	// synced passkey's stays at 0.
	counting bool
	// creds are its passkeys, oldest first.
	creds []*softCredential
}

// softCredential is one passkey an authenticator holds.
type softCredential struct {
	id      []byte
	key     *ecdsa.PrivateKey
	rpID    string
	handle  []byte // the user handle it was created for
	counter uint32
}

func newAuthenticator(t testing.TB) *authenticator {
	return &authenticator{t: t, origin: testOrigin, uv: true}
}

var b64 = base64.RawURLEncoding

// options is what the tests read of the options the Begin calls write.
type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
		ExcludeCredentials []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
		UserVerification       string `json:"userVerification"`
		AuthenticatorSelection struct {
			ResidentKey      string `json:"residentKey"`
			UserVerification string `json:"userVerification"`
		} `json:"authenticatorSelection"`
	} `json:"publicKey"`
}

func parseOptions(t testing.TB, raw []byte) options {
	t.Helper()
	var o options
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("options %s: %v", raw, err)
	}
	if o.PublicKey.Challenge == "" {
		t.Fatalf("options without a challenge: %s", raw)
	}
	return o
}

func (a *authenticator) decode(s string) []byte {
	a.t.Helper()
	b, err := b64.DecodeString(s)
	if err != nil {
		a.t.Fatalf("base64url %q: %v", s, err)
	}
	return b
}

// create makes a new passkey for the creation options raw and returns
// the browser's answer, as navigator.credentials.create's toJSON.
func (a *authenticator) create(raw []byte) []byte {
	a.t.Helper()
	o := parseOptions(a.t, raw)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		a.t.Fatal(err)
	}
	c := &softCredential{id: randomBytes(a.t, 32), key: key, rpID: o.PublicKey.RP.ID, handle: a.decode(o.PublicKey.User.ID)}
	a.creds = append(a.creds, c)
	clientData := a.clientData("webauthn.create", o.PublicKey.Challenge)
	attested := append(append(make([]byte, 16), byte(len(c.id)>>8), byte(len(c.id))), c.id...)
	attested = append(attested, coseKey(a.t, &key.PublicKey)...)
	authData := a.authData(c, flagAT, attested)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		a.t.Fatal(err)
	}
	return a.json(map[string]any{
		"id": b64.EncodeToString(c.id), "rawId": b64.EncodeToString(c.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal", "hybrid"},
		},
	})
}

// get answers the request options raw with the newest passkey the
// options allow (any passkey for a discoverable login), as
// navigator.credentials.get's toJSON.
func (a *authenticator) get(raw []byte) []byte {
	a.t.Helper()
	o := parseOptions(a.t, raw)
	var c *softCredential
	for i := len(a.creds) - 1; i >= 0 && c == nil; i-- {
		if len(o.PublicKey.AllowCredentials) == 0 {
			c = a.creds[i]
		}
		for _, allowed := range o.PublicKey.AllowCredentials {
			if allowed.ID == b64.EncodeToString(a.creds[i].id) {
				c = a.creds[i]
			}
		}
	}
	if c == nil {
		a.t.Fatalf("the authenticator has no passkey these options allow: %s", raw)
	}
	return a.sign(c, o.PublicKey.Challenge, c.handle)
}

// sign answers challenge with the passkey c, reporting handle as the user
// handle.
func (a *authenticator) sign(c *softCredential, challenge string, handle []byte) []byte {
	a.t.Helper()
	clientData := a.clientData("webauthn.get", challenge)
	authData := a.authData(c, 0, nil)
	digest := sha256.Sum256(append(append([]byte{}, authData...), sha256Of(clientData)...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	return a.json(map[string]any{
		"id": b64.EncodeToString(c.id), "rawId": b64.EncodeToString(c.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(handle),
		},
	})
}

// Flags of authenticator data (WebAuthn §6.1).
const (
	flagUP = 1 << 0
	flagUV = 1 << 2
	flagBE = 1 << 3
	flagBS = 1 << 4
	flagAT = 1 << 6
)

// authData is the authenticator data of a signature by c: the RP ID's
// hash, the flags, the counter, and attested credential data if any.
func (a *authenticator) authData(c *softCredential, extra byte, attested []byte) []byte {
	rpID := c.rpID
	if a.rpID != "" {
		rpID = a.rpID
	}
	flags := byte(flagUP) | extra
	if a.uv {
		flags |= flagUV
	}
	if a.be {
		flags |= flagBE
	}
	if a.bs {
		flags |= flagBS
	}
	if a.counting {
		c.counter++
	}
	d := append(sha256Of([]byte(rpID)), flags)
	d = binary.BigEndian.AppendUint32(d, c.counter)
	return append(d, attested...)
}

func (a *authenticator) clientData(typ, challenge string) []byte {
	return a.json(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
}

func (a *authenticator) json(v any) []byte {
	a.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		a.t.Fatal(err)
	}
	return b
}

// coseKey encodes an ES256 public key as a COSE_Key (RFC 9053).
func coseKey(t testing.TB, pub *ecdsa.PublicKey) []byte {
	t.Helper()
	raw, err := pub.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	b, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:]})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Of(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
