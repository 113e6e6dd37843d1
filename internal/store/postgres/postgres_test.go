package postgres

import "testing"

func TestPoolSize(t *testing.T) {
	for _, tt := range []struct {
		dsn, want string
		conns     int
		ok        bool
	}{
		{"postgres://u:p@h:5432/db?sslmode=disable", "postgres://u:p@h:5432/db?sslmode=disable", DefaultMaxConns, true},
		{"postgres://u:p@h:5432/db?pool_max_conns=8&sslmode=disable", "postgres://u:p@h:5432/db?sslmode=disable", 8, true},
		// The rest of the query is kept as written (an encoded space stays one).
		{"postgres://h/db?search_path=t_1&pool_max_conns=8&options=-c%20default_transaction_read_only%3Don",
			"postgres://h/db?search_path=t_1&options=-c%20default_transaction_read_only%3Don", 8, true},
		{"postgres://h/db?pool_max_conns=0", "", 0, false},
		{"postgres://h/db?pool_max_conns=x", "", 0, false},
	} {
		got, conns, err := poolSize(tt.dsn)
		if (err == nil) != tt.ok || got != tt.want || conns != tt.conns {
			t.Errorf("poolSize(%q) = %q, %d, %v; want %q, %d, ok %v", tt.dsn, got, conns, err, tt.want, tt.conns, tt.ok)
		}
	}
}
