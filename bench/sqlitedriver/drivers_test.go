package sqlitedriver

import (
	"database/sql"
	"testing"

	_ "github.com/ncruces/go-sqlite3/driver" // registers "sqlite3"
	_ "modernc.org/sqlite"                   // registers "sqlite"
)

// Both pure-Go drivers take the same _pragma DSN syntax.
const pragmaDSN = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_txlock=immediate"

func modernc(path string) (*sql.DB, error) { return sql.Open("sqlite", "file:"+path+pragmaDSN) }
func ncruces(path string) (*sql.DB, error) { return sql.Open("sqlite3", "file:"+path+pragmaDSN) }

func BenchmarkSQLite(b *testing.B) {
	b.Run("driver=modernc", func(b *testing.B) { Bench(b, modernc) })
	b.Run("driver=ncruces", func(b *testing.B) { Bench(b, ncruces) })
}

func TestDialectModernc(t *testing.T) { Dialect(t, modernc, true) }
func TestDialectNcruces(t *testing.T) { Dialect(t, ncruces, false) }
