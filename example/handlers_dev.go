package main

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/authkit/authkit"
)

// devOutbox is development mode's mail and SMS: it keeps every message in
// memory for the outbox page, /dev/outbox. The messages hold secret links
// and codes, which is why development mode is for development only.
type devOutbox struct {
	mail *authkit.DevMailer
	sms  *authkit.DevSMS
}

// newDevOutbox returns an outbox that also prints every message to out
// (nil for none).
func newDevOutbox(out io.Writer) *devOutbox {
	return &devOutbox{mail: authkit.NewDevMailer(out), sms: authkit.NewDevSMS(out)}
}

// outboxView is what the outbox page shows, newest first.
type outboxView struct {
	Mails []outboxMessage
	Texts []outboxMessage
}

// outboxMessage is an email (with a Subject) or a text message.
type outboxMessage struct {
	To, Subject string
	Body        []bodyPart
}

// bodyPart is a piece of a message body: a link, a code or plain text.
type bodyPart struct {
	Text       string
	Link, Code bool
}

// linksAndCodes finds the links and the 6-digit codes in a message body.
var linksAndCodes = regexp.MustCompile(`https?://\S+|\b\d{6}\b`)

// splitBody cuts a message body into parts, so that the page can make its
// links clickable and its codes stand out. html/template escapes each part.
func splitBody(body string) []bodyPart {
	var parts []bodyPart
	last := 0
	for _, m := range linksAndCodes.FindAllStringIndex(body, -1) {
		if m[0] > last {
			parts = append(parts, bodyPart{Text: body[last:m[0]]})
		}
		found := body[m[0]:m[1]]
		link := strings.HasPrefix(found, "http")
		parts = append(parts, bodyPart{Text: found, Link: link, Code: !link})
		last = m[1]
	}
	if last < len(body) {
		parts = append(parts, bodyPart{Text: body[last:]})
	}
	return parts
}

// outboxPage shows what the outbox keeps. Only development mode serves
// it, and only to this machine: it shows every link and code the app sent,
// so anyone else who could reach it (the app listening on 0.0.0.0, say)
// could take over every account. Others get 404, as outside development
// mode.
func (h *handlers) outboxPage(w http.ResponseWriter, r *http.Request) {
	if !fromLoopback(r) {
		h.fail(w, r, "problem", page{}, errNoSuchPage)
		return
	}
	view := &outboxView{}
	for _, m := range slices.Backward(h.outbox.mail.Messages()) {
		view.Mails = append(view.Mails, outboxMessage{To: m.To, Subject: m.Subject, Body: splitBody(m.Text)})
	}
	for _, m := range slices.Backward(h.outbox.sms.Messages()) {
		view.Texts = append(view.Texts, outboxMessage{To: m.To, Body: splitBody(m.Text)})
	}
	h.render(w, r, http.StatusOK, "outbox", page{Outbox: view})
}
