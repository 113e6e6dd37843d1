package config

import (
	"flag"
	"io"
	"testing"
)

func TestPprofAddr(t *testing.T) {
	for addr, ok := range map[string]bool{"": true, "127.0.0.1:6060": true, "[::1]:6060": true, "0.0.0.0:6060": false, "10.0.0.1:6060": false} {
		var c Config
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.ServeFlags(fs, func(string) string { return "" })
		if err := fs.Parse([]string{"--pprof-addr", addr}); err != nil {
			t.Fatal(err)
		}
		if err := c.Finish(); (err == nil) != ok {
			t.Errorf("--pprof-addr %q: Finish() = %v, want ok %v", addr, err, ok)
		}
	}
}
