// Package bot is spreadwatch's platform-neutral chat bot: the command
// router, team watchlists and rules, the alert lifecycle, and the outbox
// that delivers notifications through chat adapters.
//
// Chat adapters (bot/console, bot/slack, bot/discord) turn platform events
// into a [Request], call [Bot.Handle] (the [Handler]) and render the
// structured [Reply] natively, with [Reply.PlainText] as the fallback.
// They also implement [Poster], registered with [Bot.AddPoster], to deliver
// [Notification]s. Storage is reached through the [Store] interface;
// storage/bolt implements it.
//
// # Commands
//
// One declarative table drives parsing, help, usage and error messages;
// [Commands] exposes it (e.g. to register Discord slash commands) and
// [ParseCommand] parses a line. Words are case-insensitive, arguments are
// split shell-style, and every failure is a one-line [UserError] with the
// usage of the nearest real command. Text is capped at [MaxCommandLen].
// Roles ([Roles]) are viewer < editor < admin; editors and admins change
// watchlists, rules, silences and acks. Every change is written to the
// audit log by the Store call that makes it.
//
// # Data and evaluation
//
// A [Source] provides snapshots ([SampleSource], [FileSource]). [Bot.Start]
// loads the stored history and evaluates every rule once; [Bot.Refresh]
// re-reads the data, stores a new snapshot unless unchanged, evaluates
// every rule and delivers the resulting notifications before it returns;
// [Bot.Run] does that every Options.RefreshInterval (and when a data file
// changes) and delivers due notifications. A failing read keeps the last
// good snapshot and shows in `status`. Compiled programs are cached per
// (team, rule) and recompiled when the rule or the benchmark set changes.
//
// # Alert lifecycle
//
// Each (rule, subject) instance moves inactive → pending (while `for` has
// not elapsed) → firing → resolved; with for=0 it fires at once. It is
// stale while the data is older than the rule's max_age (stale data
// neither fires nor resolves), lacks_data while a value it needs is
// unknown, and error when the rule fails for it. With `clear`, a firing
// alert resolves only when the clear expression holds. `repeat`
// re-notifies while firing until acked. Silences suppress notifications,
// never evaluation. An instance that was announced as firing keeps that
// announcement while stale, lacking data or errored, so it is announced
// again only after it resolved. The step function is pure (lifecycle.go).
//
// Only instances that change are written: one evaluation cycle is one
// Store.SaveCycle holding the changed alerts, their transitions and the
// notifications they cause, so a notification exists if and only if its
// transition was stored. Short alert ids ("A12") are handed out to
// instances that become pending or firing.
//
// # Delivery
//
// [Bot.Flush] sends due outbox items through the platform's Poster and
// records each outcome: sent (with the platform's ref, copied into the
// alert for firing messages so that the resolve can update them), retrying
// with exponential backoff that honours [SendError].RetryAfter, or failed
// with its reason for permanent errors and after Options.MaxAttempts.
// A restart never repeats a recorded delivery and a crash never loses a
// notification. The one duplicate window: a crash after the platform
// accepted a message and before the outbox recorded it; that single
// message is sent again after the restart. The kill -9 test
// (TestCrashDelivery) exercises exactly this.
//
// # Concurrency
//
// A Bot is safe for concurrent use. Commands read an immutable data state
// and an in-memory copy of the alerts; cycles, acks and rule deletions are
// serialized; one Flush runs at a time.
//
// # Metrics
//
// With Options.Registerer set, the bot exports
// spreadwatch_rule_evaluations_total, spreadwatch_rule_errors_total{rule},
// spreadwatch_alert_transitions_total{to},
// spreadwatch_notifications_sent_total{platform},
// spreadwatch_notifications_failed_total{platform},
// spreadwatch_cycle_duration_seconds and spreadwatch_snapshot_age_seconds.
package bot
