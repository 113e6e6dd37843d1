// Package secrets holds Driftwood's secret key: it keys the hashes of tokens
// and client secrets (so a stolen database cannot be replayed against the
// API) and encrypts the few secrets that must be read back, such as webhook
// signing secrets.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the length of the secret key in bytes.
const KeySize = 32

// Key is the server's secret key.
type Key struct {
	raw  [KeySize]byte
	aead cipher.AEAD
}

// Parse decodes a base64 (standard or URL, padded or not) key of KeySize bytes.
func Parse(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	var b []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errors.New("secret key is not valid base64")
	}
	if len(b) != KeySize {
		return nil, fmt.Errorf("secret key must be %d bytes, got %d", KeySize, len(b))
	}
	return newKey(b)
}

// Generate returns a new random key.
func Generate() *Key {
	b := make([]byte, KeySize)
	rand.Read(b)
	k, _ := newKey(b)
	return k
}

func newKey(b []byte) (*Key, error) {
	k := &Key{}
	copy(k.raw[:], b)
	block, err := aes.NewCipher(k.raw[:])
	if err != nil {
		return nil, err
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return k, nil
}

// String returns the key in standard base64, the form Parse reads.
func (k *Key) String() string { return base64.StdEncoding.EncodeToString(k.raw[:]) }

// LoadOrCreateFile reads the key at path, creating it (mode 0600) when the file
// does not exist. created tells whether a new key was written.
func LoadOrCreateFile(path string) (k *Key, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err = Parse(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	k = Generate()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race
			return LoadOrCreateFile(path)
		}
		return nil, false, err
	}
	if _, err := f.WriteString(k.String() + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	return k, true, f.Close()
}

// Hash returns the keyed hash (HMAC-SHA256, hex) under which a token or client
// secret is stored and looked up.
func (k *Key) Hash(secret string) string {
	m := hmac.New(sha256.New, k.raw[:])
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil))
}

// Seal encrypts plaintext with AES-GCM; the result is base64 text for a column.
func (k *Key) Seal(plaintext string) string {
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	out := k.aead.Seal(nonce, nonce, []byte(plaintext), nil)
	return base64.StdEncoding.EncodeToString(out)
}

// Open decrypts what Seal produced.
func (k *Key) Open(sealed string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < k.aead.NonceSize() {
		return "", errors.New("secrets: malformed ciphertext")
	}
	n := k.aead.NonceSize()
	out, err := k.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", errors.New("secrets: ciphertext does not open with this key")
	}
	return string(out), nil
}

// RandomToken returns prefix followed by 32 random bytes in unpadded base64url:
// unguessable, URL-safe, and recognisable by its prefix to secret scanners.
func RandomToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}
