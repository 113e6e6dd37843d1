// Command echobot is a small Drift bot built with the sdk/drift package, in
// the manner of Drift's sample bots: it receives new_message webhooks,
// verifies them, and answers every visitor's message in its conversation.
//
// Against a local Driftwood it can register itself (-register): it creates
// an app subscribed to new_message whose webhook URL is the bot, installs
// it, and runs with the app's token, verification token and signing
// secret. Against Drift, give those three in the environment. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/driftwood-chat/driftwood/sdk/drift"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "echobot:", err)
		os.Exit(1)
	}
}

// config is what the bot runs with.
type config struct {
	addr, publicURL, baseURL string
	register                 bool
	token                    string // the app's token, or with -register an admin token
	verificationToken        string
	signingSecret            string
}

func parse(args []string, getenv func(string) string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("echobot", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.addr, "addr", or(getenv("ECHOBOT_ADDR"), "127.0.0.1:8080"), "address to receive webhooks on (env ECHOBOT_ADDR)")
	fs.StringVar(&c.publicURL, "public-url", getenv("ECHOBOT_PUBLIC_URL"), "the bot's URL as the API reaches it; default http://ADDR (env ECHOBOT_PUBLIC_URL)")
	fs.StringVar(&c.baseURL, "api", or(getenv("DRIFT_BASE_URL"), "http://127.0.0.1:7070"), "the API's base URL, Driftwood's or "+drift.DefaultBaseURL+" (env DRIFT_BASE_URL)")
	fs.BoolVar(&c.register, "register", false, "register and install the bot as an app of a Driftwood org, using DRIFT_TOKEN as that org's admin token")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.token, c.verificationToken, c.signingSecret = getenv("DRIFT_TOKEN"), getenv("DRIFT_VERIFICATION_TOKEN"), getenv("DRIFT_SIGNING_SECRET")
	if c.publicURL == "" {
		c.publicURL = "http://" + c.addr
	}
	switch {
	case c.token == "":
		return c, errors.New("set DRIFT_TOKEN: the app's token (with -register: a Driftwood admin token)")
	case !c.register && c.verificationToken == "" && c.signingSecret == "":
		return c, errors.New("set DRIFT_VERIFICATION_TOKEN and/or DRIFT_SIGNING_SECRET, or use -register against Driftwood")
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	c, err := parse(args, getenv, out)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(out, nil))
	client := drift.NewClient(c.baseURL, drift.StaticToken(c.token))
	verifier := &drift.WebhookVerifier{VerificationToken: c.verificationToken, SigningSecret: c.signingSecret}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	if c.register {
		app, inst, err := register(ctx, client, c.publicURL+"/webhooks")
		if err != nil {
			ln.Close()
			return err
		}
		client = drift.NewClient(c.baseURL, drift.StaticToken(inst.AccessToken))
		verifier = &drift.WebhookVerifier{VerificationToken: app.VerificationToken, SigningSecret: app.SigningSecret}
		log.Info("registered the bot as an app", "app", app.ID, "webhookUrl", app.WebhookURL)
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks", Handler(client, verifier, log))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Info("echobot listening", "webhooks", c.publicURL+"/webhooks", "api", c.baseURL)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// register creates the bot's app in Driftwood, subscribed to new_message
// at webhookURL, and installs it in its own org.
func register(ctx context.Context, admin *drift.Client, webhookURL string) (*drift.App, *drift.Installation, error) {
	scopes := []string{"conversation_read", "conversation_write"}
	app, err := admin.Driftwood().CreateApp(ctx, drift.AppSpec{Name: "echobot", Scopes: scopes,
		WebhookURL: webhookURL, Events: []string{drift.EventNewMessage}})
	if err != nil {
		return nil, nil, fmt.Errorf("registering the app: %w", err)
	}
	inst, err := admin.Driftwood().InstallApp(ctx, app.ID, scopes...)
	if err != nil {
		return nil, nil, fmt.Errorf("installing the app: %w", err)
	}
	return app, inst, nil
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
