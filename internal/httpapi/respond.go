package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// MaxBodyBytes is the request body limit (docs/design.md: 1 MiB).
const MaxBodyBytes = 1 << 20

// handlerFunc is an API handler: it writes its answer, or returns an error
// that the wrapper turns into Drift's error body.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// writeJSON writes v as a JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	noteRows(w, status, v)
	return writeJSONBody(w, status, v)
}

// writeJSONBody writes v as JSON with status, under the Content-Type the
// caller set.
func writeJSONBody(w http.ResponseWriter, status int, v any) error {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil { // json.Marshal's bytes and a newline
		return err
	}
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// jsonBuffers are the buffers answers are encoded into, reused so that an
// answer allocates no new one (json.Marshal's, then a copy to add the
// newline, before).
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledJSON is the largest buffer kept for reuse: a rare large export
// should not stay in memory.
const maxPooledJSON = 64 << 10

func putJSONBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledJSON {
		buf.Reset()
		jsonBuffers.Put(buf)
	}
}

// data wraps v in Drift's {"data": …} envelope.
func data(v any) map[string]any { return map[string]any{"data": v} }

// cursorPage trims items, read with a limit one above limit, to limit and
// returns the pagination object: whether there is more, and the cursor of
// the next page (the last item's id).
func cursorPage[T any](items []T, limit int, id func(T) int64) ([]T, map[string]any) {
	page := map[string]any{"more": len(items) > limit}
	if len(items) > limit {
		items = items[:limit]
		page["next"] = strconv.FormatInt(id(items[limit-1]), 10)
	}
	return items, page
}

// okBody is Drift's answer to deletes and other actions without an object.
var okBody = map[string]any{"result": "OK", "ok": true}

var statusOf = map[apperr.Code]int{
	apperr.BadRequest:       http.StatusBadRequest,
	apperr.Invalid:          http.StatusBadRequest,
	apperr.Unauthenticated:  http.StatusUnauthorized,
	apperr.Forbidden:        http.StatusForbidden,
	apperr.NotFound:         http.StatusNotFound,
	apperr.MethodNotAllowed: http.StatusMethodNotAllowed,
	apperr.Conflict:         http.StatusConflict,
	apperr.TooLarge:         http.StatusRequestEntityTooLarge,
	apperr.UnsupportedMedia: http.StatusUnsupportedMediaType,
	apperr.RateLimited:      http.StatusTooManyRequests,
	apperr.Internal:         http.StatusInternalServerError,
	apperr.Unavailable:      http.StatusServiceUnavailable,
}

// errorBody is Drift's error shape (docs/design.md, "Error body").
type errorBody struct {
	Error  errorItem   `json:"error"`
	Errors []errorItem `json:"errors,omitempty"`
}

type errorItem struct {
	Type    apperr.Code `json:"type"`
	Message string      `json:"message"`
	Param   string      `json:"param,omitempty"`
}

// decodeJSON decodes the request body into v, answering every way a body can
// be wrong with a 4xx that names the problem. Numbers decode as json.Number
// where v holds interface values, so int64 ids keep their precision.
func decodeJSON(r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	return decodeJSONFrom(r.Body, v)
}

// decodeJSONFrom is decodeJSON for a body already known to be JSON (a part
// of a multipart request).
func decodeJSONFrom(body io.Reader, v any) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return jsonError(err)
	}
	if hasNULEscape(b) {
		return apperr.New(apperr.BadRequest, `malformed JSON: strings must not contain \u0000`)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil || errors.As(err, new(*json.SyntaxError)) {
			return apperr.New(apperr.BadRequest, "malformed JSON: unexpected data after the JSON value")
		}
		return jsonError(err)
	}
	return nil
}

// hasNULEscape reports a \u0000 escape in a JSON text (one not itself
// escaped as \\u0000). PostgreSQL cannot store NUL in text, so both stores
// refuse it alike, before anything is written.
func hasNULEscape(b []byte) bool {
	for i := bytes.Index(b, []byte(`\u0000`)); i >= 0; {
		n := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return true
		}
		next := bytes.Index(b[i+1:], []byte(`\u0000`))
		if next < 0 {
			return false
		}
		i += 1 + next
	}
	return false
}

// plainText reports whether s is text every store keeps: valid UTF-8
// without NUL.
func plainText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// requireJSON refuses a body declared as something other than JSON. A body
// without a Content-Type is read as JSON, as Drift's clients often omit it.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return apperr.New(apperr.UnsupportedMedia, "Content-Type %q is not supported; send application/json", ct)
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return apperr.New(apperr.TooLarge, "request body is larger than %d bytes", tooLarge.Limit)
	case errors.Is(err, io.EOF):
		return apperr.New(apperr.BadRequest, "request body is empty; expected JSON")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.BadRequest, "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &syntax):
		return apperr.New(apperr.BadRequest, "malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return apperr.Invalidf("body", "the body must be %s, got %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return apperr.Invalidf(field, "%s must be %s, got %s", field, jsonKind(typ.Type.Kind().String()), typ.Value)
	}
	return apperr.New(apperr.BadRequest, "malformed JSON: %v", err)
}

// jsonKind names a Go kind the way a JSON user thinks of it.
func jsonKind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	}
	return fmt.Sprintf("a %s", k)
}

// decodeOptionalJSON is decodeJSON for requests whose body may be left out:
// no body leaves v as it is.
func decodeOptionalJSON(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(r, v)
}
