// Package slack connects spreadwatch to Slack with github.com/slack-go/slack.
//
// An [Adapter] receives commands three ways and hands each to a [bot.Handler]:
//
//   - slash commands (`/spreadwatch spread CIFR`),
//   - app mentions (`@spreadwatch spread CIFR`, answered in a thread),
//   - button presses on alert messages (Ack, Mute 1d, Mute 7d), run as the
//     user who pressed them.
//
// They arrive either over HTTP (the Events API, slash commands and
// interactivity as signed POSTs to [Adapter.HTTPHandler]) or over Socket Mode
// (a websocket opened with the app-level token); [Adapter.Run] serves
// whichever is configured, or both.
//
// # Replays
//
// A Slack signature stays valid for five minutes, so a signed request can be
// sent again (by an attacker who saw it, or by a proxy) and pass
// verification. Over HTTP, a slash command or button press is therefore run
// once per signature: the signature is remembered, with the first answer,
// until its timestamp expires (a bounded cache; replay.go), and a replay gets
// that answer again, or "Already handled.", without running anything. Events
// are deduplicated by event_id instead, which also absorbs Slack's retries.
//
// The adapter is also a [bot.Poster]: it posts alerts with Block Kit and
// buttons, updates the original message when an alert resolves and replies
// in its thread, keeps to one message per second per channel, and reports
// failures as [*bot.SendError] with a retry class. It never retries by
// itself; the outbox does.
//
// # Rendering
//
// render.go turns a [bot.Reply] into Block Kit and a plain-text fallback,
// within Slack's limits (50 blocks, 3,000 characters a section, 10 fields a
// section, about 12,000 characters in all, 4,000 characters of text),
// truncating with "…and N more" rather than failing. Text that may echo user
// input is escaped so that `<!channel>` cannot be injected.
package slack
