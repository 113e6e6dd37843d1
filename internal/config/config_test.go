package config

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
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

func TestRedactDSN(t *testing.T) {
	for dsn, want := range map[string]string{
		"sqlite:driftwood.db": "sqlite:driftwood.db",
		"postgres://u:secret@127.0.0.1:5432/db?sslmode=disable":     "postgres://u:xxxxx@127.0.0.1:5432/db?sslmode=disable",
		"postgres://u@127.0.0.1/db?password=secret&sslmode=disable": "postgres://u@127.0.0.1/db?password=xxxxx&sslmode=disable",
		"postgresql://127.0.0.1/db":                                 "postgresql://127.0.0.1/db",
		"postgres://u:se%zzcret@host/db":                            "xxxxx@host/db",
	} {
		if got := RedactDSN(dsn); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", dsn, got, want)
		}
	}
}

func TestConversationInactiveAfter(t *testing.T) {
	parse := func(args []string, env map[string]string) (Config, error) {
		var c Config
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.ServeFlags(fs, func(k string) string { return env[k] })
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		return c, c.Finish()
	}
	if c, err := parse(nil, nil); err != nil || c.ConversationInactiveAfter != 10*time.Minute {
		t.Fatalf("default: %v, %v", c.ConversationInactiveAfter, err)
	}
	if c, err := parse(nil, map[string]string{"DRIFTWOOD_CONVERSATION_INACTIVE_AFTER": "30m"}); err != nil || c.ConversationInactiveAfter != 30*time.Minute {
		t.Fatalf("from the environment: %v, %v", c.ConversationInactiveAfter, err)
	}
	if c, err := parse([]string{"--conversation-inactive-after", "0"}, nil); err != nil || c.ConversationInactiveAfter != 0 {
		t.Fatalf("0 turns it off: %v, %v", c.ConversationInactiveAfter, err)
	}
	for _, bad := range []string{"-1m", "soon", "10"} {
		if _, err := parse([]string{"--conversation-inactive-after", bad}, nil); err == nil {
			t.Errorf("--conversation-inactive-after %q accepted", bad)
		}
	}
}

func TestVisitorFlags(t *testing.T) {
	parse := func(args ...string) (Config, error) {
		var c Config
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.ServeFlags(fs, func(string) string { return "" })
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		return c, c.Finish()
	}
	c, err := parse()
	if err != nil || c.EmailOfflineDelay != time.Minute || c.EmailOnlineDelay != 15*time.Minute || c.SMTPURL != "" {
		t.Fatalf("defaults (Drift's timings): %+v, %v", c, err)
	}
	c, err = parse("--smtp-url", "smtp://u:p@127.0.0.1:2525", "--smtp-from", "chat@example.com", "--email-offline-delay", "5s",
		"--trusted-country-header", "CF-IPCountry", "--geoip-db", "/x.mmdb")
	if err != nil || c.EmailOfflineDelay != 5*time.Second || c.TrustedCountryHeader != "CF-IPCountry" || c.GeoIPDB != "/x.mmdb" {
		t.Fatalf("set: %+v, %v", c, err)
	}
	for _, bad := range [][]string{
		{"--smtp-url", "http://mail.example.com"},
		{"--smtp-url", "smtp://127.0.0.1:25"}, // no --smtp-from
		{"--smtp-url", "smtp://127.0.0.1:25", "--smtp-from", "not an address"},
		{"--email-online-delay", "-1m"},
		{"--email-offline-delay", "soon"},
		{"--trusted-country-header", "CF IPCountry"},
	} {
		if _, err := parse(bad...); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// --help never shows the SMTP password taken from the environment.
func TestSMTPURLHelpHidesPassword(t *testing.T) {
	var c Config
	var out bytes.Buffer
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(&out)
	env := map[string]string{"DRIFTWOOD_SMTP_URL": "smtp://mailer:smtpPasswordFromEnv@mail.example:587"}
	c.ServeFlags(fs, func(k string) string { return env[k] })
	fs.PrintDefaults()
	if strings.Contains(out.String(), "smtpPasswordFromEnv") || !strings.Contains(out.String(), "smtp://mailer:xxxxx@mail.example:587") {
		t.Errorf("--help:\n%s", out.String())
	}
	if c.SMTPURL != env["DRIFTWOOD_SMTP_URL"] {
		t.Errorf("the value itself is kept: %q", c.SMTPURL)
	}
}
