package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/httpapi"
)

func TestPages_ALoginLinkShowsAButtonAndLogsInOnPost(t *testing.T) { // SEC-L1
	t.Parallel()
	s := newPagesServer(t, httpapi.PagesOptions{Prefix: "/u"}, func(cfg *authkit.Config, _ *httpapi.Options) {
		cfg.LoginLinkPath = "/u/login/link"
	})
	s.user("ada@example.com")
	rec := httptest.NewRecorder()
	s.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := authkit.From(r).SendLoginLink("ada@example.com", "/u/account"); err != nil {
			t.Error(err)
		}
	})).ServeHTTP(rec, httptest.NewRequest("POST", "https://example.com/", nil))
	msg, err := s.mail.Wait(t.Context(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	link := mustURL(t, msg.Link)
	if link.Path != "/u/login/link" {
		t.Fatalf("the mailed link opens %s", link.Path)
	}
	tok := link.Query().Get("token")
	b := s.browser()
	// Opening the link (as a mail scanner does) only shows a button.
	b.get("/login/link?"+link.RawQuery).want(t, 200, "Log me in", `value="/u/account"`)
	b.get("/login/link?"+link.RawQuery).want(t, 200, "Log me in")
	b.post("/login/link", url.Values{"token": {tok}, "next": {"/u/account"}}).redirects(t, "/u/account")
	b.get("/account").want(t, 200, "ada@example.com")
	s.browser().post("/login/link", url.Values{"token": {tok}}).want(t, 400, "Invalid or already used token.")
}
