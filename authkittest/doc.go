// Package authkittest gives the tests of an app that uses authkit what they
// need without any set-up: a real PostgreSQL database per test, with
// authkit's tables, and a Mailer and SMS sender that keep what authkit sends
// for the test to read. For `go run` during development, [DevDatabase]
// starts a private PostgreSQL that keeps its data between runs.
//
// # A test of the app
//
// One TestMain per package starts the database server, and each test takes
// a fresh database of its own, so tests can run in parallel:
//
//	func TestMain(m *testing.M) { os.Exit(authkittest.Main(m)) }
//
//	func TestSignUpAndLogIn(t *testing.T) {
//		t.Parallel()
//		mail := &authkittest.Mailer{}
//		srv := httptest.NewUnstartedServer(nil)
//		kit, err := authkit.New(authkit.Config{
//			DB:      authkittest.DB(t),
//			Mailer:  mail,
//			BaseURL: "https://" + srv.Listener.Addr().String(), // where links in mail lead
//		})
//		if err != nil {
//			t.Fatal(err)
//		}
//		t.Cleanup(func() { kit.Close() })
//		srv.Config.Handler = kit.Middleware(app.Routes(kit)) // the app under test
//		srv.StartTLS() // authkit's cookies are Secure
//		t.Cleanup(srv.Close)
//
//		// ... POST /register as a browser would, then:
//		msg, err := mail.Wait(t.Context(), "ada@example.com")
//		if err != nil {
//			t.Fatal(err)
//		}
//		// ... open msg.Link, log in, and check what the app shows.
//	}
//
// The server behind [Main] is the one DATABASE_URL names when it is set.
// Otherwise it is a throwaway cluster started from the PostgreSQL server
// binaries installed on the machine (initdb and postgres on PATH, or under
// /usr/lib/postgresql/*/bin as Debian and Ubuntu install them), which is
// deleted when the tests end. With neither, the tests fail with a message
// that says what to install: they are never skipped.
//
// # What the senders keep
//
// [Mailer] and [SMS] keep every message authkit gives them. [Mailer.Last]
// reads the newest message to an address; [Mailer.Wait] returns the
// messages to an address one by one, waiting for those authkit sends in the
// background, such as the reset link of ForgotPassword, which reaches the
// Mailer only after the call returns. FailWith makes sending fail, for
// testing what the app shows when mail or text messages cannot be sent.
//
// The links and codes in the kept messages are secrets, as they are in a
// real mailbox: these senders are for tests and must never be a production
// app's Mailer.
package authkittest
