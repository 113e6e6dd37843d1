package agent

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// argon2id parameters: OWASP's first recommendation (19 MiB, 2 passes, one
// lane), about 30 ms a hash here; stored with each hash so that raising
// them later still checks older ones.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// Password length limits: long enough to resist guessing, and an upper
// bound so that nobody makes the server hash a megabyte.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 128
)

// CheckNewPassword refuses a password too short or too long to be set.
func CheckNewPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return apperr.Invalidf("password", "the password must have at least %d characters", MinPasswordLen)
	}
	if n > MaxPasswordLen {
		return apperr.Invalidf("password", "the password must have at most %d characters", MaxPasswordLen)
	}
	return nil
}

// HashPassword hashes pw with argon2id and a random salt, in the PHC string
// form: $argon2id$v=19$m=19456,t=2,p=1$salt$hash.
func HashPassword(pw string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// CheckPassword reports whether pw matches encoded (a HashPassword string).
// An empty or malformed encoded matches nothing.
func CheckPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil ||
		memory == 0 || memory > 1<<20 || passes == 0 || passes > 10 || threads == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when no user has the email given, so that a
// sign-in takes as long for an unknown account as for a wrong password. It
// has HashPassword's parameters and lengths but is a constant: hashing one
// at start-up cost 75 ms and 19 MiB before the server could listen. No
// password matches it (its key is not any password's hash).
var dummyHash = fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
	base64.RawStdEncoding.EncodeToString(make([]byte, saltLen)), base64.RawStdEncoding.EncodeToString(make([]byte, argonKeyLen)))
