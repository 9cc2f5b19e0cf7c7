package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/sqlschema"
)

// appsConfig is what the load generator tells the apps process.
type appsConfig struct {
	DatabaseURL string `json:"database_url"`
	Pool        int    `json:"pool"`  // each app's pool
	Users       int    `json:"users"` // accounts to create on the kit
}

// apps are the three servers under test, in the apps process.
type apps struct {
	kit   *authkit.Kit
	kitDB *sqlx.DB
	// kitQueries and bareQueries count the statements each app's pool
	// sends, background work included.
	kitQueries, bareQueries atomic.Int64
	bareDB                  *sqlx.DB
	bareStore               *postgresstore.PostgresStore

	kitApp, bareApp, plainApp *server
	pgVersion                 string
	// kitLog is the kit's logger, which counts its warnings.
	kitLog *logHandler
}

// sessionLifetime is the absolute lifetime of the sessions of both apps,
// longer than any run.
const sessionLifetime = 12 * time.Hour

// startApps opens the two apps' pools, applies authkit's schema and scs's
// postgresstore table, and starts the three servers. The kit's errors go
// to logOut.
func startApps(ctx context.Context, cfg appsConfig, logOut io.Writer) (_ *apps, err error) {
	a := &apps{}
	defer func() {
		if err != nil {
			err = errors.Join(err, a.close())
		}
	}()
	if a.kitDB, err = openPool(cfg.DatabaseURL, cfg.Pool, &a.kitQueries); err != nil {
		return nil, err
	}
	if a.bareDB, err = openPool(cfg.DatabaseURL, cfg.Pool, &a.bareQueries); err != nil {
		return nil, err
	}
	if err := sqlschema.Apply(ctx, a.kitDB, sqlschema.DefaultPrefix); err != nil {
		return nil, fmt.Errorf("applying authkit's schema: %w", err)
	}
	// The table scs's postgresstore documents.
	if _, err := a.bareDB.ExecContext(ctx, `
		CREATE TABLE sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
		CREATE INDEX sessions_expiry_idx ON sessions (expiry)`); err != nil {
		return nil, fmt.Errorf("creating postgresstore's table: %w", err)
	}
	a.pgVersion = serverVersion(ctx, a.kitDB)

	a.kitLog = newLogHandler(logOut)
	a.kit, err = authkit.New(authkit.Config{
		DB:     a.kitDB,
		Mailer: authkit.NewDevMailer(nil), // no mail is sent: the users are created confirmed
		// The apps are served over plain HTTP on the loopback interface.
		Development: true,
		// The load generator is the kit's reverse proxy, so that the
		// flood can come from many client IPs.
		TrustedProxies:  []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
		SessionLifetime: sessionLifetime,
		Logger:          slog.New(a.kitLog),
	})
	if err != nil {
		return nil, err
	}
	a.bareStore = postgresstore.New(a.bareDB.DB)
	if a.kitApp, err = serve(kitHandler(a.kit)); err != nil {
		return nil, err
	}
	if a.bareApp, err = serve(bareHandler(a.bareStore)); err != nil {
		return nil, err
	}
	if a.plainApp, err = serve(plainHandler()); err != nil {
		return nil, err
	}
	return a, nil
}

// benchUser is an account on the kit, which the load generator logs in.
type benchUser struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// createUsers creates n confirmed accounts on the kit, a hash each, on
// as many goroutines as there are cores.
func (a *apps) createUsers(ctx context.Context, n int) ([]benchUser, error) {
	users := make([]benchUser, n)
	err := parallel(n, runtime.GOMAXPROCS(0), func(i int) error {
		u := benchUser{Email: fmt.Sprintf("user-%d@example.com", i), Password: "authbench " + rand.Text()}
		id, err := a.kit.Admin().CreateUser(ctx, u.Email, u.Password, true)
		if err != nil {
			return fmt.Errorf("creating a user: %w", err)
		}
		u.ID = id
		users[i] = u
		return nil
	})
	return users, err
}

// close stops whatever startApps started.
func (a *apps) close() error {
	var errs []error
	for _, s := range []*server{a.kitApp, a.bareApp, a.plainApp} {
		if s != nil {
			errs = append(errs, s.close())
		}
	}
	if a.kit != nil {
		errs = append(errs, a.kit.Close())
	}
	if a.bareStore != nil {
		a.bareStore.StopCleanup()
	}
	for _, db := range []*sqlx.DB{a.kitDB, a.bareDB} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

// kitHandler is the app on authkit.
func kitHandler(kit *authkit.Kit) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /me", kit.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeUserID(w, authkit.From(r).UserID())
	})))
	mux.HandleFunc("GET /anon", hello)
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		err := authkit.From(r).Login(r.PostFormValue("email"), r.PostFormValue("password"), false)
		if err != nil {
			code := authkit.StatusCode(err)
			http.Error(w, http.StatusText(code), code)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return kit.Middleware(mux)
}

// bareUserKey is the session key under which the bare scs app keeps the
// user's id.
const bareUserKey = "user_id"

// bareHandler is the bare scs app: sessions in PostgreSQL through scs's
// postgresstore, the user's id in the session, and nothing else. Its
// login trusts the user id it is given, as it only sets up the sessions
// the GETs use.
func bareHandler(store scs.Store) http.Handler {
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = sessionLifetime
	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		id := sm.GetInt64(r.Context(), bareUserKey)
		if id == 0 {
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		writeUserID(w, id)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PostFormValue("user"), 10, 64)
		if err != nil || id <= 0 {
			http.Error(w, "user must be a positive integer", http.StatusBadRequest)
			return
		}
		if err := sm.RenewToken(r.Context()); err != nil {
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return
		}
		sm.Put(r.Context(), bareUserKey, id)
		w.WriteHeader(http.StatusNoContent)
	})
	return sm.LoadAndSave(mux)
}

// plainHandler is the anonymous baseline: the kit app's GET /anon on a
// bare mux.
func plainHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /anon", hello)
	return mux
}

// hello answers GET /anon in the kit app and the plain one alike.
func hello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "hello\n")
}

// writeUserID answers GET /me in the kit app and the bare scs one alike.
func writeUserID(w http.ResponseWriter, id int64) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(strconv.AppendInt(nil, id, 10))
}

// server is an app served on a listener of its own on the loopback
// interface.
type server struct {
	url  string
	srv  *http.Server
	done chan error
}

// serve starts serving h on a new loopback listener.
func serve(h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{
		url:  "http://" + ln.Addr().String(),
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// close stops the server, giving requests in flight a few seconds.
func (s *server) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}
