package httpapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/authkit/authkit"
)

// call is one request to a route.
type call struct {
	api    *api
	w      http.ResponseWriter
	r      *http.Request
	auth   *authkit.Auth
	params map[string]string
	status int // of a success; 200 (or 204 without a body) when unset
}

// param returns the value of the route's path parameter name.
func (c *call) param(name string) string { return c.params[name] }

// decode reads the request's JSON body into v, a pointer to a struct. An
// empty body counts as {}; a body must be application/json (415
// otherwise), at most Options.MaxBodyBytes (413), a single JSON object
// without fields v lacks (400 invalid_request).
func (c *call) decode(v any) error {
	r := c.r
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return ErrUnsupportedMediaType
	}
	body := http.MaxBytesReader(c.w, r.Body, c.api.opts.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // a chunked body that was empty after all
		}
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		if err != nil {
			if e := decodeError(err); !errors.Is(e, ErrInvalidRequest) {
				return e
			}
		}
		return &requestError{"the body holds more than one JSON value"}
	}
	return nil
}

// decodeError explains why a body could not be decoded, without quoting
// it.
func decodeError(err error) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return ErrRequestTooLarge
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return &requestError{"the body is not valid JSON"}
	case errors.As(err, &typ) && typ.Field != "":
		return &requestError{"field " + quote(typ.Field) + " must be " + jsonType(typ.Type.Kind().String())}
	case errors.As(err, &typ):
		return &requestError{"the body must be a JSON object"}
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &requestError{"unknown field " + field}
	}
	return &requestError{"the body is not valid JSON"}
}

func quote(s string) string { return `"` + s + `"` }

// jsonType names a Go kind as JSON does.
func jsonType(kind string) string {
	switch {
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "float"), strings.HasPrefix(kind, "uint"):
		return "a number"
	case kind == "slice":
		return "an array"
	}
	return "an object"
}

// writtenResponse is the body of a handler that wrote its response
// itself.
type writtenResponse struct{}

var written writtenResponse

// reply writes a success: body as JSON with c.status (200 by default), or
// 204 No Content for a nil body.
func (c *call) reply(body any) {
	if _, ok := body.(writtenResponse); ok {
		return
	}
	status := c.status
	if body == nil {
		c.w.WriteHeader(cmp.Or(status, http.StatusNoContent))
		return
	}
	c.api.writeJSON(c.w, cmp.Or(status, http.StatusOK), body)
}
