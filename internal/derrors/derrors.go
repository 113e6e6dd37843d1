// Package derrors names the operation an error comes from, in the shape of
// pkgsite's: defer derrors.Wrap(&err, "store.PostMessage(%d, %d)", orgID, id).
package derrors

import "fmt"

// Wrap prefixes *errp, when it is not nil, with the operation that failed
// and its key arguments ("store.GetContact(1, 7): …"). The error stays
// inspectable: errors.Is and errors.As see through the prefix.
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
