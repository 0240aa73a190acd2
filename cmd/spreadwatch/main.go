// Spreadwatch watches the debt, capacity and contracts of AI-infrastructure
// issuers and alerts a team in chat when a rule starts or stops holding.
//
// Usage:
//
//	spreadwatch [--config FILE] [--db FILE] [--data FILE|DIR]...
//	spreadwatch eval [--data FILE|DIR]... [--json] [--explain] EXPR
//
// Without a configuration it runs on the embedded sample data with console
// chat on the terminal and ./spreadwatch.db. The eval subcommand evaluates
// one rule against a feed (or the sample) and exits: 0 when the rule was
// evaluated, 2 on a rule error, 1 on a data error.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
