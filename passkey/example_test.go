package passkey_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/passkey"
)

// The ceremonies mounted in an app's own routes: each Begin writes the
// options for the browser, each Finish takes the browser's answer. (The
// page's script passes the options to navigator.credentials.get and posts
// the credential's toJSON() back.)
func ExampleService() {
	var kit *authkit.Kit // from authkit.New
	pk, err := passkey.New(kit, passkey.Config{RPID: "example.com", Origins: []string{"https://example.com"}})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /passkeys/login/options", func(w http.ResponseWriter, r *http.Request) {
		if err := pk.BeginLogin(w, r); err != nil {
			http.Error(w, err.Error(), passkey.StatusCode(err))
		}
	})
	mux.HandleFunc("POST /passkeys/login", func(w http.ResponseWriter, r *http.Request) {
		answer, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		err := pk.FinishLogin(r, answer, false)
		if _, ok := errors.AsType[*authkit.SecondFactorRequiredError](err); ok {
			http.Redirect(w, r, "/login/second-factor", http.StatusSeeOther)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), passkey.StatusCode(err))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]bool{"logged_in": true})
	})
	log.Fatal(http.ListenAndServe("localhost:8080", kit.Middleware(mux)))
}

func ExampleNew_badConfig() {
	_, err := passkey.New(nil, passkey.Config{RPID: "example.com"})
	var ce *passkey.ConfigError
	fmt.Println(errors.As(err, &ce), ce.Field)
	// Output: true kit
}
