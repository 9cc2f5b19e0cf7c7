package smtpmail

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
)

func TestSendWithHTML_DeliversTextAndHTMLAsAlternatives(t *testing.T) {
	ts := startServer(t, serverOptions{})
	sender := newSender(t, ts.config(TLSNone))
	text := "Confirm: https://example.com/c?token=abc\n"
	html := `<p>Confirm: <a href="https://example.com/c?token=abc">open</a> — ü</p>`
	if err := sender.SendWithHTML(t.Context(), "user@example.org", "Confirm", text, html); err != nil {
		t.Fatalf("SendWithHTML: %v", err)
	}
	got := ts.onlyDelivery(t)
	msg, err := mail.ReadMessage(bytes.NewReader(got.data))
	if err != nil {
		t.Fatal(err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	var types, bodies []string
	for {
		p, err := parts.NextPart() // decodes quoted-printable itself
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		bodies = append(bodies, strings.ReplaceAll(string(b), "\r\n", "\n"))
	}
	if len(types) != 2 || types[0] != "text/plain" || types[1] != "text/html" {
		t.Fatalf("parts %v, want text/plain then text/html", types)
	}
	if bodies[0] != text || bodies[1] != html {
		t.Fatalf("bodies arrived as\n%q\n%q", bodies[0], bodies[1])
	}
}
