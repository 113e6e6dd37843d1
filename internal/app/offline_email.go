package app

import (
	"log/slog"
	"net/url"

	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/httpapi"
	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/driftwood-chat/driftwood/internal/offlinemail"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/store"
)

// newMailer turns on offline email: agent messages queue emails, which the
// mailer sends through --smtp-url. cfg.SMTPURL was checked by Finish.
func newMailer(cfg config.Config, db *store.DB, key *secrets.Key, log *slog.Logger) *offlinemail.Mailer {
	db.QueueOfflineEmails(true)
	u, _ := url.Parse(cfg.SMTPURL)
	smtp := &offlinemail.SMTP{URL: u, From: cfg.SMTPFrom}
	return &offlinemail.Mailer{
		Store: db, Send: smtp.Send, From: cfg.SMTPFrom,
		Signer:       httpapi.OfflineEmailSigner(key),
		PublicURL:    cfg.PublicURL,
		EmbedID:      func(orgID int64) string { return httpapi.EmbedID(key, orgID) },
		OfflineDelay: cfg.EmailOfflineDelay, OnlineDelay: cfg.EmailOnlineDelay,
		Log: log.With(logkey.Subsystem, "offline-email"),
	}
}
