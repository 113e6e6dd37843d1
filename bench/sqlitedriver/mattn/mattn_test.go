//go:build cgo

package mattn

import (
	"database/sql"
	"testing"

	"github.com/driftwood-chat/driftwood/bench/sqlitedriver"
	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"
)

func mattn(path string) (*sql.DB, error) {
	return sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_journal_mode=WAL"+
		"&_synchronous=NORMAL&_foreign_keys=on&_txlock=immediate")
}

func BenchmarkSQLite(b *testing.B) {
	b.Run("driver=mattn", func(b *testing.B) { sqlitedriver.Bench(b, mattn) })
}

func TestDialectMattn(t *testing.T) { sqlitedriver.Dialect(t, mattn, false) }
