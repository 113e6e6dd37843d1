package api

import (
	"bufio"
	"bytes"
	"strings"
)

// Operation is one path and method of an OpenAPI listing.
type Operation struct {
	Method string // upper case
	Path   string // as listed, e.g. /contacts/{id}
}

// Operations lists the operations of an OpenAPI 3 document in YAML whose
// paths are indented by two spaces and methods by four, as the listing is.
// It is a line reader, not a YAML parser, so that no YAML library is needed.
func Operations(doc []byte) []Operation {
	var ops []Operation
	inPaths := false
	path := ""
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "paths:":
			inPaths = true
		case !inPaths:
		case len(line) > 0 && line[0] != ' ' && line[0] != '#':
			inPaths = false // the next top-level key
		case strings.HasPrefix(line, "  /") && strings.HasSuffix(line, ":"):
			path = strings.TrimSuffix(strings.TrimSpace(line), ":")
		case strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "     ") && path != "":
			m := strings.TrimSuffix(strings.TrimSpace(line), ":")
			switch m {
			case "get", "post", "put", "patch", "delete":
				ops = append(ops, Operation{Method: strings.ToUpper(m), Path: path})
			}
		}
	}
	return ops
}
