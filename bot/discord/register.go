package discord

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Backoff of command registration: the first retry after about a second,
// then doubling up to 5 minutes. Each wait is shortened by a random part
// of up to registerJitter, so that many bots restarted together by one
// outage do not retry in lockstep.
const (
	registerMinBackoff = time.Second
	registerMaxBackoff = 5 * time.Minute
	registerJitter     = 0.2
)

// registerCommands bulk-overwrites the application commands (idempotent),
// once the application id is known (configured, or from READY). A failure
// is not fatal: the HTTP endpoint and alerts still work, and the commands
// registered last time stay in place. It is retried until it succeeds or
// ctx is done:
//
//   - transient errors (connection refused, timeouts, 5xx, 429) are
//     logged at WARN and retried with a jittered exponential backoff
//     (registerMinBackoff doubling to registerMaxBackoff);
//   - 400 (Discord rejecting the command definitions) is logged at ERROR
//     and not retried: only a new build can fix it;
//   - other permanent errors (401 bad token, 403 missing access or the
//     applications.commands scope, 404 unknown application or guild) are
//     logged once at ERROR and then retried only every
//     registerMaxBackoff, quietly (DEBUG) while the reason stays the same:
//     most are fixed outside the bot (inviting it to the guild with the
//     right scope), and a request every few minutes is far below
//     Discord's limit on invalid requests.
//
// Errors name the configured API base, where the requests really go.
func (a *Adapter) registerCommands(ctx context.Context) {
	if !a.hasToken {
		a.log.Warn("commands not registered: no bot token")
		return
	}
	if a.applicationID() == "" {
		if !a.gateway {
			a.log.Warn("commands not registered: set discord.application_id")
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-a.appIDKnown:
		}
	}
	appID := a.applicationID()
	cmds := applicationCommands()
	scope := "global"
	if a.guildID != "" {
		scope = "guild"
	}

	wait := a.registerBackoff
	reported := "" // the reason of the permanent error last logged at ERROR
	for attempt := 1; ; attempt++ {
		err := a.call(ctx, func(opts ...discordgo.RequestOption) error {
			_, err := a.s.ApplicationCommandBulkOverwrite(appID, a.guildID, cmds, opts...)
			return err
		})
		if err == nil {
			a.log.Info("commands registered", "count", len(cmds), "scope", scope, "guild", a.guildID, "attempts", attempt)
			if a.onRegistered != nil {
				a.onRegistered()
			}
			return
		}
		if ctx.Err() != nil {
			a.log.Debug("command registration stopped", "attempts", attempt)
			return
		}
		se := classify(err)
		args := []any{"application", appID, "scope", scope, "guild", a.guildID, "api", a.transport.shown, "attempt", attempt, "err", se}
		var d time.Duration
		switch {
		case restStatus(err) == http.StatusBadRequest:
			a.log.Error("register commands: Discord rejected the command definitions; not retried", args...)
			return
		case se.Permanent:
			wait = a.registerMaxBackoff
			d = jitter(wait)
			args = append(args, "retry_in", d.String())
			if se.Reason != reported {
				reported = se.Reason
				a.log.Error("register commands: permanent error; retrying at the slowest pace", args...)
			} else {
				a.log.Debug("register commands: permanent error persists", args...)
			}
		default:
			reported = ""
			wait = max(wait, se.RetryAfter)
			d = jitter(wait)
			args = append(args, "retry_in", d.String())
			a.log.Warn("register commands failed; retrying", args...)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			a.log.Debug("command registration stopped", "attempts", attempt)
			return
		case <-t.C:
		}
		wait = min(2*wait, a.registerMaxBackoff)
	}
}

// setAppIDKnown records that the application id is set; it wakes
// registerCommands when it waits for READY.
func (a *Adapter) setAppIDKnown() {
	a.appIDKnownOnce.Do(func() { close(a.appIDKnown) })
}

// jitter shortens d by a random part of up to registerJitter.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d - time.Duration(rand.Float64()*registerJitter*float64(d))
}

// restStatus returns the HTTP status of a REST error, 0 when there is none.
func restStatus(err error) int {
	if re, ok := errors.AsType[*discordgo.RESTError](err); ok && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}
