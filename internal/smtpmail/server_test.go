package smtpmail

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// serverOptions shapes the SMTP server a test runs on 127.0.0.1.
type serverOptions struct {
	// startTLS offers STARTTLS with the certificate from testCertificate.
	startTLS bool
	// implicitTLS speaks TLS from the first byte with that certificate.
	implicitTLS bool
	// username and password, when set, are the only credentials AUTH PLAIN
	// accepts, and MAIL FROM requires them.
	username, password string
	// allowInsecureAuth offers AUTH on connections without TLS.
	allowInsecureAuth bool
	// stall makes MAIL FROM hang until the test ends.
	stall bool
	// afterAccepting runs when the client sends RSET after a message was
	// accepted, before the server answers it.
	afterAccepting func()
}

// delivery is one message as the server received it.
type delivery struct {
	from  string
	rcpts []string
	data  []byte
}

// testServer is a real SMTP server (go-smtp) that records what clients do.
type testServer struct {
	opts    serverOptions
	port    int
	release chan struct{}

	mu           sync.Mutex
	sessions     int
	authAttempts int
	deliveries   []delivery
}

func startServer(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	ts := &testServer{opts: opts, release: make(chan struct{})}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.port = listener.Addr().(*net.TCPAddr).Port

	server := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.sessions++
		return &testSession{server: ts}, nil
	}))
	server.Domain = "localhost"
	server.ReadTimeout = 5 * time.Second
	server.WriteTimeout = 5 * time.Second
	server.AllowInsecureAuth = opts.allowInsecureAuth
	// Clients that give up on purpose make the server log errors that
	// would only clutter the test output.
	server.ErrorLog = log.New(io.Discard, "", 0)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{testCertificate()}}
	if opts.startTLS {
		server.TLSConfig = serverTLS
	}
	if opts.implicitTLS {
		listener = tls.NewListener(listener, serverTLS)
	}

	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = server.Serve(listener)
	}()
	t.Cleanup(func() {
		close(ts.release)
		_ = server.Close()
		// Close misses the listener if Serve has not registered it yet.
		_ = listener.Close()
		<-served
	})
	return ts
}

// config returns a Config for this server, with its credentials and trust
// in its certificate, that sends as no-reply@example.com.
func (ts *testServer) config(policy TLSPolicy) Config {
	cfg := Config{
		Host:     "127.0.0.1",
		Port:     ts.port,
		Username: ts.opts.username,
		Password: ts.opts.password,
		From:     "Authkit Café <no-reply@example.com>",
		TLS:      policy,
	}
	if ts.opts.startTLS || ts.opts.implicitTLS {
		cfg.TLSConfig = &tls.Config{RootCAs: testCertPool()}
	}
	return cfg
}

func (ts *testServer) stats() (sessions, authAttempts int, deliveries []delivery) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.sessions, ts.authAttempts, append([]delivery(nil), ts.deliveries...)
}

// onlyDelivery fails the test unless exactly one message arrived.
func (ts *testServer) onlyDelivery(t *testing.T) delivery {
	t.Helper()
	_, _, deliveries := ts.stats()
	if len(deliveries) != 1 {
		t.Fatalf("server received %d messages, want 1", len(deliveries))
	}
	return deliveries[0]
}

type testSession struct {
	server  *testServer
	authed  bool
	current delivery
	// resetsSinceData counts go-smtp's own reset right after DATA and then
	// the one for the client's RSET.
	resetsSinceData int
}

func (s *testSession) AuthMechanisms() []string {
	if s.server.opts.username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		s.server.mu.Lock()
		s.server.authAttempts++
		s.server.mu.Unlock()
		if username != s.server.opts.username || password != s.server.opts.password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.opts.stall {
		<-s.server.release
	}
	if s.server.opts.username != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.current = delivery{from: from}
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.current.rcpts = append(s.current.rcpts, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.current.data = data
	s.resetsSinceData = 0
	s.server.mu.Lock()
	s.server.deliveries = append(s.server.deliveries, s.current)
	s.server.mu.Unlock()
	return nil
}

func (s *testSession) Reset() {
	s.current = delivery{}
	s.resetsSinceData++
	if s.resetsSinceData == 2 && s.server.opts.afterAccepting != nil {
		s.server.opts.afterAccepting()
	}
}

func (s *testSession) Logout() error { return nil }

var testPKI = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtpmail test server"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
})

// testCertificate is a self-signed ECDSA certificate for 127.0.0.1, made
// once per test run.
func testCertificate() tls.Certificate {
	cert, _ := testPKI()
	return cert
}

// testCertPool trusts testCertificate and nothing else.
func testCertPool() *x509.CertPool {
	_, pool := testPKI()
	return pool
}

// receivedMessage is a delivery's DATA parsed the way a mail client would.
type receivedMessage struct {
	header  mail.Header
	subject string
	body    string
}

func parseDelivery(t *testing.T, d delivery) receivedMessage {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(d.data))
	if err != nil {
		t.Fatalf("server received an unparsable message: %v\n%s", err, d.data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("Subject %q: %v", msg.Header.Get("Subject"), err)
	}
	body := msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	// SMTP carries every line break as CRLF, whatever the sender wrote.
	return receivedMessage{
		header:  msg.Header,
		subject: subject,
		body:    strings.ReplaceAll(string(text), "\r\n", "\n"),
	}
}
