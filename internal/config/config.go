// Package config reads driftwood's settings from flags and environment
// variables (each flag has one) into a value that is passed down.
package config

import (
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the server's configuration.
type Config struct {
	Addr           string
	DB             string
	PublicURL      string
	BootstrapToken string
	SecretKey      string // the key itself, base64, from DRIFTWOOD_SECRET_KEY
	SecretKeyFile  string
	RateLimit      float64 // requests per second per token; 0: off
	RateBurst      int
	WebhookRetry   []time.Duration
	// WebhookTimeout bounds each webhook attempt, answer included.
	WebhookTimeout time.Duration
	// WebhookAllowPrivate lets webhooks reach loopback, private and
	// link-local addresses; by default only when Addr is loopback.
	WebhookAllowPrivate bool
	LogFormat           string // text or json
	LogLevel            string
	// TokenIdleTimeout retires tokens unused for this long (0: never).
	TokenIdleTimeout time.Duration
	// VisitorSessionTTL ends widget visitor sessions idle this long (0:
	// never); each use slides it.
	VisitorSessionTTL time.Duration
	// ConversationInactiveAfter is the quiet period after which a
	// conversation without activity is announced (conversation_inactive,
	// conversation_push); 0 turns the sweep off.
	ConversationInactiveAfter time.Duration
	// PprofAddr, when set, serves net/http/pprof on this loopback address,
	// apart from the API; empty (the default) serves no profiles.
	PprofAddr string
	// TrustedCountryHeader names a header a trusted proxy sets to the
	// visitor's country (CF-IPCountry); GeoIPDB is a MaxMind-format IP
	// database file. Without either a visitor's country is unknown.
	TrustedCountryHeader string
	GeoIPDB              string
	// SMTPURL (smtp://user:pass@host:port, or smtps://) and SMTPFrom turn
	// on offline email: agent messages a visitor has not read are emailed
	// after EmailOfflineDelay (the visitor offline) or EmailOnlineDelay.
	SMTPURL           string
	SMTPFrom          string
	EmailOfflineDelay time.Duration
	EmailOnlineDelay  time.Duration

	rateSpec, retrySpec, timeoutSpec, allowPrivateSpec, idleSpec, inactiveSpec, visitorTTLSpec string
	offlineSpec, onlineSpec                                                                    string
}

// DefaultRetrySchedule is about three days of webhook retries.
const DefaultRetrySchedule = "5s,5m,30m,2h,5h,10h,10h,10h,10h,10h"

// Getenv is os.Getenv, injectable for tests.
type Getenv func(string) string

// StoreFlags registers the flags of every subcommand that opens the
// database: --db and --secret-key-file.
func (c *Config) StoreFlags(fs *flag.FlagSet, getenv Getenv) {
	c.DB = envOr(getenv, "DRIFTWOOD_DB", "sqlite:driftwood.db")
	fs.Var(dsnValue{&c.DB}, "db", "database: `sqlite:PATH or postgres://…` (env DRIFTWOOD_DB)")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", getenv("DRIFTWOOD_SECRET_KEY_FILE"),
		"file holding the base64 secret key (env DRIFTWOOD_SECRET_KEY holds the key itself);\nwith SQLite and no key, PATH.key beside the database is used, created on first start")
	c.SecretKey = getenv("DRIFTWOOD_SECRET_KEY")
}

// ServeFlags registers driftwood serve's flags. Call Finish after parsing.
func (c *Config) ServeFlags(fs *flag.FlagSet, getenv Getenv) {
	c.StoreFlags(fs, getenv)
	fs.StringVar(&c.Addr, "addr", envOr(getenv, "DRIFTWOOD_ADDR", "127.0.0.1:7070"), "listen address (env DRIFTWOOD_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", getenv("DRIFTWOOD_PUBLIC_URL"),
		"the URL clients reach Driftwood at, for absolute links (env DRIFTWOOD_PUBLIC_URL; default from --addr)")
	fs.StringVar(&c.rateSpec, "rate-limit", envOr(getenv, "DRIFTWOOD_RATE_LIMIT", "100"),
		"requests per second per token, with a burst of twice that; 0 turns it off (env DRIFTWOOD_RATE_LIMIT)")
	fs.StringVar(&c.retrySpec, "webhook-retry-schedule", envOr(getenv, "DRIFTWOOD_WEBHOOK_RETRY_SCHEDULE", DefaultRetrySchedule),
		"delays between webhook attempts, comma-separated Go durations (env DRIFTWOOD_WEBHOOK_RETRY_SCHEDULE)")
	fs.StringVar(&c.timeoutSpec, "webhook-timeout", envOr(getenv, "DRIFTWOOD_WEBHOOK_TIMEOUT", "15s"),
		"time allowed for each webhook attempt, answer included (env DRIFTWOOD_WEBHOOK_TIMEOUT)")
	c.allowPrivateSpec = getenv("DRIFTWOOD_WEBHOOK_ALLOW_PRIVATE")
	fs.BoolFunc("webhook-allow-private", "let webhooks reach loopback, private and link-local addresses\n(env DRIFTWOOD_WEBHOOK_ALLOW_PRIVATE; default: on only when --addr is a loopback address)",
		func(v string) error { c.allowPrivateSpec = v; return nil })
	fs.StringVar(&c.LogFormat, "log-format", envOr(getenv, "DRIFTWOOD_LOG_FORMAT", "text"), "log format: text or json (env DRIFTWOOD_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", envOr(getenv, "DRIFTWOOD_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env DRIFTWOOD_LOG_LEVEL)")
	fs.StringVar(&c.idleSpec, "token-idle-timeout", envOr(getenv, "DRIFTWOOD_TOKEN_IDLE_TIMEOUT", DefaultTokenIdleTimeout),
		"tokens unused for this long stop working, e.g. 720h; 0 turns it off (env DRIFTWOOD_TOKEN_IDLE_TIMEOUT)")
	fs.StringVar(&c.visitorTTLSpec, "visitor-session-ttl", envOr(getenv, "DRIFTWOOD_VISITOR_SESSION_TTL", DefaultVisitorSessionTTL),
		"widget visitor sessions idle this long stop working (each use slides it), e.g. 720h; 0 turns it off (env DRIFTWOOD_VISITOR_SESSION_TTL)")
	fs.StringVar(&c.PprofAddr, "pprof-addr", getenv("DRIFTWOOD_PPROF_ADDR"),
		"serve Go profiles (net/http/pprof) on this loopback address, e.g. 127.0.0.1:6060; off when empty (env DRIFTWOOD_PPROF_ADDR)")
	fs.StringVar(&c.inactiveSpec, "conversation-inactive-after", envOr(getenv, "DRIFTWOOD_CONVERSATION_INACTIVE_AFTER", "10m"),
		"quiet period after which a conversation without activity fires conversation_inactive and conversation_push; 0 turns it off (env DRIFTWOOD_CONVERSATION_INACTIVE_AFTER)")
	c.BootstrapToken = getenv("DRIFTWOOD_BOOTSTRAP_TOKEN")
	c.visitorFlags(fs, getenv)
}

// visitorFlags are the flags of what Driftwood knows of and sends to
// website visitors: their country, and email when they are away.
func (c *Config) visitorFlags(fs *flag.FlagSet, getenv Getenv) {
	fs.StringVar(&c.TrustedCountryHeader, "trusted-country-header", getenv("DRIFTWOOD_TRUSTED_COUNTRY_HEADER"),
		"a header your proxy sets to the visitor's country code, e.g. CF-IPCountry; only name one a proxy always overwrites (env DRIFTWOOD_TRUSTED_COUNTRY_HEADER)")
	fs.StringVar(&c.GeoIPDB, "geoip-db", getenv("DRIFTWOOD_GEOIP_DB"),
		"an IP-to-country database file in MaxMind's format (.mmdb), for the visitor's country (env DRIFTWOOD_GEOIP_DB)")
	c.SMTPURL = getenv("DRIFTWOOD_SMTP_URL")
	fs.Var(dsnValue{&c.SMTPURL}, "smtp-url", // shown with its password hidden, as --db
		"SMTP server for offline email, smtp://user:password@host:587 (STARTTLS when offered) or smtps://host:465; off when empty (env DRIFTWOOD_SMTP_URL)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", getenv("DRIFTWOOD_SMTP_FROM"),
		"the From address of offline email, e.g. chat@example.com (env DRIFTWOOD_SMTP_FROM)")
	fs.StringVar(&c.offlineSpec, "email-offline-delay", envOr(getenv, "DRIFTWOOD_EMAIL_OFFLINE_DELAY", "1m"),
		"how long an agent message waits unread before it is emailed to a visitor who is offline (env DRIFTWOOD_EMAIL_OFFLINE_DELAY)")
	fs.StringVar(&c.onlineSpec, "email-online-delay", envOr(getenv, "DRIFTWOOD_EMAIL_ONLINE_DELAY", "15m"),
		"how long an agent message waits unread before it is emailed to a visitor who is online (env DRIFTWOOD_EMAIL_ONLINE_DELAY)")
}

// finishVisitor checks the visitor flags.
func (c *Config) finishVisitor() error {
	var err error
	if c.offlineSpec != "" {
		if c.EmailOfflineDelay, err = time.ParseDuration(c.offlineSpec); err != nil || c.EmailOfflineDelay < 0 {
			return fmt.Errorf("--email-offline-delay: %q is not a Go duration of 0 or more", c.offlineSpec)
		}
	}
	if c.onlineSpec != "" {
		if c.EmailOnlineDelay, err = time.ParseDuration(c.onlineSpec); err != nil || c.EmailOnlineDelay < 0 {
			return fmt.Errorf("--email-online-delay: %q is not a Go duration of 0 or more", c.onlineSpec)
		}
	}
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			return fmt.Errorf("--smtp-url: %q is not smtp://host:port or smtps://host:port", RedactDSN(c.SMTPURL))
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			return fmt.Errorf("--smtp-from: %q is not an email address (required with --smtp-url)", c.SMTPFrom)
		}
	}
	if h := c.TrustedCountryHeader; h != "" && strings.ContainsAny(h, " :\r\n") {
		return fmt.Errorf("--trusted-country-header: %q is not a header name", h)
	}
	return nil
}

// DefaultTokenIdleTimeout is 90 days.
const DefaultTokenIdleTimeout = "2160h"

// DefaultVisitorSessionTTL is 30 days, as Drift's visitor cookie.
const DefaultVisitorSessionTTL = "720h"

// Finish parses and checks what the flags left as text.
func (c *Config) Finish() error {
	rate, err := strconv.ParseFloat(c.rateSpec, 64)
	if err != nil || rate < 0 {
		return fmt.Errorf("--rate-limit: %q is not a non-negative number", c.rateSpec)
	}
	c.RateLimit, c.RateBurst = rate, int(2*rate)
	if c.WebhookRetry, err = ParseSchedule(c.retrySpec); err != nil {
		return fmt.Errorf("--webhook-retry-schedule: %w", err)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if c.WebhookTimeout, err = time.ParseDuration(c.timeoutSpec); err != nil || c.WebhookTimeout <= 0 {
		return fmt.Errorf("--webhook-timeout: %q is not a positive Go duration", c.timeoutSpec)
	}
	if c.inactiveSpec != "" {
		if c.ConversationInactiveAfter, err = time.ParseDuration(c.inactiveSpec); err != nil || c.ConversationInactiveAfter < 0 {
			return fmt.Errorf("--conversation-inactive-after: %q is not a Go duration of 0 or more", c.inactiveSpec)
		}
	}
	if c.TokenIdleTimeout, err = time.ParseDuration(c.idleSpec); err != nil || c.TokenIdleTimeout < 0 {
		return fmt.Errorf("--token-idle-timeout: %q is not a Go duration (0 turns it off)", c.idleSpec)
	}
	if c.visitorTTLSpec != "" {
		if c.VisitorSessionTTL, err = time.ParseDuration(c.visitorTTLSpec); err != nil || c.VisitorSessionTTL < 0 {
			return fmt.Errorf("--visitor-session-ttl: %q is not a Go duration (0 turns it off)", c.visitorTTLSpec)
		}
	}
	c.WebhookAllowPrivate = IsLoopback(c.Addr)
	if c.allowPrivateSpec != "" {
		if c.WebhookAllowPrivate, err = strconv.ParseBool(c.allowPrivateSpec); err != nil {
			return fmt.Errorf("--webhook-allow-private: %q is not true or false", c.allowPrivateSpec)
		}
	}
	if c.PprofAddr != "" && !IsLoopback(c.PprofAddr) {
		return fmt.Errorf("--pprof-addr: %q is not a loopback address; profiles expose the process's internals", c.PprofAddr)
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if err := c.finishVisitor(); err != nil {
		return err
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format: %q is neither text nor json", c.LogFormat)
	}
	return nil
}

// ParseSchedule parses comma-separated Go durations, each positive.
func ParseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%q is not a positive Go duration", part)
		}
		out = append(out, d)
	}
	return out, nil
}

// IsLoopback reports whether addr (host:port) listens on a loopback address.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func envOr(getenv Getenv, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// dsnValue is the --db flag. Its default, shown by --help, may come from
// DRIFTWOOD_DB: a PostgreSQL password in it is shown as xxxxx.
type dsnValue struct{ p *string }

func (v dsnValue) Set(s string) error { *v.p = s; return nil }

func (v dsnValue) String() string {
	if v.p == nil {
		return ""
	}
	return RedactDSN(*v.p)
}

// RedactDSN hides the password of a database URL (in its user part or its
// query) so that it can be shown.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "sqlite" {
		if i := strings.LastIndex(dsn, "@"); i >= 0 && err != nil {
			return "xxxxx" + dsn[i:] // unparsable, and may hold a password
		}
		return dsn
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
