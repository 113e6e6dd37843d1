//go:build unix

package apitest

import (
	"flag"
	"sync"
	"syscall"
	"testing"
)

// FailFileWrites makes every write of this process past the first byte of
// a file fail (RLIMIT_FSIZE: write answers EFBIG, as a full disk answers
// ENOSPC), so that SQLite cannot write its database, until the returned
// function or the end of the test restores the limit. The limit is the
// whole process's: only for a test that runs alone (no t.Parallel).
func FailFileWrites(t testing.TB) (restore func()) {
	t.Helper()
	// go test's cache log (-test.testlogfile, given unless -count=1) is a
	// file this process writes as the test runs: under the limit it fails
	// with "file too large" and fails the package.
	if f := flag.Lookup("test.testlogfile"); f != nil && f.Value.String() != "" {
		t.Skip("the file size limit would break go test's cache log: run with -count=1 (as .ci/run does)")
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	restore = sync.OnceFunc(func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(restore)
	return restore
}
