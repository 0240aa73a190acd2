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
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
	"golang.org/x/term"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/bot/console"
	"github.com/spreadwatch/spreadwatch/bot/discord"
	"github.com/spreadwatch/spreadwatch/bot/slack"
	"github.com/spreadwatch/spreadwatch/config"
	"github.com/spreadwatch/spreadwatch/storage/bolt"
)

const usage = `usage: spreadwatch [--config FILE] [--db FILE] [--data FILE|DIR]...
       spreadwatch eval [--data FILE|DIR]... [--json] [--explain] EXPR

Without a configuration spreadwatch runs on the embedded sample data with
console chat on the terminal and ./spreadwatch.db. Type "help" at the prompt.`

// run is the whole program; main only wires the process to it. It returns
// the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "eval":
			return runEval(args[1:], stdout, stderr)
		case "help", "-h", "-help", "--help":
			fmt.Fprintln(stdout, usage)
			return 0
		}
	}
	fs := flag.NewFlagSet("spreadwatch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	configPath := fs.String("config", "", "YAML configuration `FILE`")
	dbPath := fs.String("db", "", "bbolt database `FILE` (default ./spreadwatch.db)")
	var data stringList
	fs.Var(&data, "data", "feed `FILE` (JSON) or CSV directory; repeatable (default: the embedded sample)")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "spreadwatch: %v\n%s\n", err, usage)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "spreadwatch: unexpected argument %q\n%s\n", fs.Arg(0), usage)
		return 2
	}

	var cfg *config.Config
	var err error
	if *configPath != "" {
		cfg, err = config.LoadFile(*configPath, getenv)
	} else {
		cfg, err = config.FromEnv(getenv)
	}
	if err != nil {
		fmt.Fprintf(stderr, "spreadwatch: %v\n", err)
		return 2
	}
	if *dbPath != "" {
		cfg.DB = *dbPath
	}
	if len(data) > 0 {
		cfg.Data.Paths = data
	}

	if *configPath == "" && isTerminal(stdin) {
		// A person at the console prompt: keep routine log lines from
		// interleaving with the chat. A config file's log.level wins.
		cfg.Log.Level = "warn"
	}
	logger := newLogger(cfg.Log, stderr)
	if err := serve(ctx, cfg, logger, stdin, stdout); err != nil {
		logger.Error("spreadwatch stopped", "err", err)
		fmt.Fprintf(stderr, "spreadwatch: %v\n", err)
		return 1
	}
	return 0
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs the bot until ctx is done or, with console chat on a
// non-terminal input, until the input ends.
func serve(ctx context.Context, cfg *config.Config, logger *slog.Logger, stdin io.Reader, stdout io.Writer) error {
	store, err := bolt.Open(cfg.DB, bolt.Options{Timeout: time.Second, Logger: logger.With("component", "storage")})
	if err != nil {
		return err
	}
	defer store.Close()

	var source bot.Source
	if len(cfg.Data.Paths) == 0 {
		source = bot.SampleSource()
	} else {
		source = bot.FileSource(cfg.Data.Paths...)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	b, err := bot.New(bot.Options{
		Store:           store,
		Source:          source,
		Logger:          logger,
		Registerer:      reg,
		Roles:           roles(cfg.Roles),
		RefreshInterval: time.Duration(cfg.Data.Refresh),
		Retention:       cfg.Data.Retention,
		NotifyResolved:  cfg.Notify.Resolved,
	})
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)

	var con *console.Console
	if cfg.ConsoleEnabled() {
		con = console.New(console.Options{In: stdin, Out: stdout, Interactive: isTerminal(stdin), Logger: logger})
		b.AddPoster("console", con)
	}
	if cfg.Slack.Enabled() {
		a, err := slack.New(slackOptions(cfg.Slack, b, logger))
		if err != nil {
			return fmt.Errorf("slack: %w", err)
		}
		b.AddPoster("slack", a)
		g.Go(func() error { return a.Run(gctx) })
	}
	if cfg.Discord.Enabled() {
		a, err := discord.New(discordOptions(cfg.Discord, b, logger))
		if err != nil {
			return fmt.Errorf("discord: %w", err)
		}
		b.AddPoster("discord", a)
		g.Go(func() error { return a.Run(gctx) })
	}
	if cfg.Admin.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Admin.Listen)
		if err != nil {
			return fmt.Errorf("admin.listen: %w", err)
		}
		srv := &http.Server{Handler: adminHandler(b, reg), ReadHeaderTimeout: 5 * time.Second}
		logger.Info("admin endpoint listening", "addr", ln.Addr().String())
		g.Go(func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("admin: %w", err)
			}
			return nil
		})
		g.Go(func() error {
			<-gctx.Done()
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			return srv.Shutdown(sctx)
		})
	}

	if err := b.Start(ctx); err != nil {
		cancel()
		_ = g.Wait()
		return err
	}
	g.Go(func() error { return b.Run(gctx) })

	if con != nil {
		g.Go(func() error {
			err := con.Run(gctx, b)
			// End of input: the console has finished what was due; stop the
			// rest of the bot.
			cancel()
			return err
		})
	}
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

func roles(c config.Roles) bot.Roles {
	r := bot.Roles{Default: bot.Role(c.Default), Users: make(map[string]bot.Role, len(c.Users))}
	for id, role := range c.Users {
		r.Users[id] = bot.Role(role)
	}
	return r
}

func slackOptions(c config.Slack, h bot.Handler, logger *slog.Logger) slack.Options {
	inChannel := c.QueriesInChannel == nil || *c.QueriesInChannel
	return slack.Options{
		BotToken:         string(c.BotToken),
		AppToken:         string(c.AppToken),
		SigningSecret:    string(c.SigningSecret),
		APIURL:           c.APIURL,
		Listen:           c.Listen,
		QueriesInChannel: inChannel,
		Logger:           logger.With("component", "slack"),
		Handler:          h,
	}
}

func discordOptions(c config.Discord, h bot.Handler, logger *slog.Logger) discord.Options {
	return discord.Options{
		Token:         string(c.Token),
		ApplicationID: c.ApplicationID,
		PublicKey:     c.PublicKey,
		GuildID:       c.GuildID,
		APIURL:        c.APIURL,
		GatewayURL:    c.GatewayURL,
		Listen:        c.Listen,
		Gateway:       c.GatewayEnabled(),
		Prefix:        c.Prefix,
		Logger:        logger.With("component", "discord"),
		Handler:       h,
	}
}

// adminHandler serves /healthz, /readyz and /metrics.
func adminHandler(b *bot.Bot, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !b.Ready() {
			http.Error(w, "not ready: no snapshot loaded yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return mux
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
