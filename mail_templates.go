package authkit

import (
	"bytes"
	"context"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

// MessageTemplate changes how one kind of message reads. Each field is a
// Go template executed with the [Message] authkit prepared — .To,
// .UserEmail, .Link, .Code, .ExpiresIn, .Device, .IP, and .Subject and
// .Text in authkit's own words — and the function duration, which spells
// a time.Duration as "15 minutes". Subject and Text are text/template,
// HTML is html/template, so what a template inserts into HTML is escaped.
// An empty field keeps authkit's: its subject, its text, and for HTML the
// default layout around the text.
type MessageTemplate struct {
	Subject string
	Text    string
	HTML    string
}

// defaultHTML is the HTML of every message without its own HTML template:
// the text, escaped, in a plain layout, with the link as a button and the
// code large. It is the one default template; the wording is the Text
// authkit writes for each kind.
const defaultHTML = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:24px;background:#f5f5f4;font:16px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;color:#1c1917">
<div style="max-width:520px;margin:0 auto;background:#fff;border-radius:8px;padding:24px">
<h1 style="font-size:20px;margin:0 0 16px">{{.Subject}}</h1>
{{- if .Code}}
<p style="font-size:28px;font-weight:600;letter-spacing:4px;margin:16px 0">{{.Code}}</p>
{{- end}}
{{- if .Link}}
<p style="margin:24px 0"><a href="{{.Link}}" style="background:#1c1917;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none">Open the link</a></p>
{{- end}}
<div style="white-space:pre-wrap">{{.Text}}</div>
</div></body></html>
`

// messageTemplates are Config.Templates and Config.LocalizedTemplates,
// parsed.
type messageTemplates struct {
	byLocale map[string]map[MessageKind]parsedTemplate // "" is Config.Templates
	layout   *htmltemplate.Template
	locale   func(ctx context.Context, userEmail string) string
}

type parsedTemplate struct {
	subject, text *texttemplate.Template
	html          *htmltemplate.Template
}

var templateFuncs = map[string]any{"duration": humanDuration}

// sampleMessage has every field a template may use, to try templates at
// New: a template naming a field Message lacks fails there, not when a
// user waits for their mail.
var sampleMessage = Message{
	To: "user@example.com", UserEmail: "user@example.com", Subject: "Subject", Text: "Text",
	Link: "https://example.com/confirm?token=t", Code: "123456", ExpiresIn: 15 * time.Minute,
	Device: "Firefox", IP: "192.0.2.1", Kind: MessageConfirmEmail,
}

// parseMessageTemplates parses and tries every template of cfg.
func parseMessageTemplates(cfg *Config) (*messageTemplates, error) {
	mt := &messageTemplates{
		byLocale: map[string]map[MessageKind]parsedTemplate{},
		layout:   htmltemplate.Must(htmltemplate.New("default").Funcs(templateFuncs).Parse(defaultHTML)),
		locale:   cfg.Locale,
	}
	sets := map[string]map[MessageKind]MessageTemplate{"": cfg.Templates}
	for locale, set := range cfg.LocalizedTemplates {
		if locale == "" {
			return nil, configError("Config.LocalizedTemplates has an empty locale; put those templates in Config.Templates")
		}
		sets[locale] = set
	}
	for locale, set := range sets {
		parsed := map[MessageKind]parsedTemplate{}
		for kind, t := range set {
			p, err := parseTemplate(t)
			if err != nil {
				return nil, configError("the template of %q messages (locale %q): %v", kind, locale, err)
			}
			if _, err := p.render(mt.layout, sampleMessage); err != nil {
				return nil, configError("the template of %q messages (locale %q): %v", kind, locale, err)
			}
			parsed[kind] = p
		}
		mt.byLocale[locale] = parsed
	}
	return mt, nil
}

func parseTemplate(t MessageTemplate) (p parsedTemplate, err error) {
	if t.Subject != "" {
		if p.subject, err = texttemplate.New("subject").Funcs(templateFuncs).Option("missingkey=error").Parse(t.Subject); err != nil {
			return p, err
		}
	}
	if t.Text != "" {
		if p.text, err = texttemplate.New("text").Funcs(templateFuncs).Option("missingkey=error").Parse(t.Text); err != nil {
			return p, err
		}
	}
	if t.HTML != "" {
		if p.html, err = htmltemplate.New("html").Funcs(templateFuncs).Option("missingkey=error").Parse(t.HTML); err != nil {
			return p, err
		}
	}
	return p, nil
}

// render returns msg with its Subject, Text and HTML from p's templates,
// and HTML from layout where p has none.
func (p parsedTemplate) render(layout *htmltemplate.Template, msg Message) (Message, error) {
	out := msg
	var b bytes.Buffer
	if p.subject != nil {
		if err := p.subject.Execute(&b, msg); err != nil {
			return msg, err
		}
		out.Subject = strings.Join(strings.Fields(b.String()), " ") // one line
		b.Reset()
	}
	if p.text != nil {
		if err := p.text.Execute(&b, msg); err != nil {
			return msg, err
		}
		out.Text = b.String()
		b.Reset()
	}
	html := layout
	if p.html != nil {
		html = p.html
		// The HTML template sees the subject and text it goes with.
		msg.Subject, msg.Text = out.Subject, out.Text
	} else {
		msg = out
	}
	if err := html.Execute(&b, msg); err != nil {
		return out, err
	}
	out.HTML = b.String()
	return out, nil
}

// renderMessage applies the templates for msg's kind and the locale of
// its user to msg. A template that fails now, though it ran at New, is
// logged and the message goes out in authkit's words.
func (k *Kit) renderMessage(ctx context.Context, msg Message) Message {
	mt := k.templates
	if mt == nil {
		return msg
	}
	p, ok := parsedTemplate{}, false
	if mt.locale != nil {
		if set, found := mt.byLocale[mt.locale(ctx, msg.UserEmail)]; found {
			p, ok = set[msg.Kind]
		}
	}
	if !ok {
		p = mt.byLocale[""][msg.Kind]
	}
	out, err := p.render(mt.layout, msg)
	if err != nil {
		k.log.ErrorContext(ctx, "authkit: a message template failed; sending the default", "kind", msg.Kind, "error", err)
		out, _ = parsedTemplate{}.render(mt.layout, msg)
	}
	return out
}
