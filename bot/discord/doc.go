// Package discord connects spreadwatch to Discord with
// github.com/bwmarrin/discordgo.
//
// An [Adapter] receives commands and hands each to a [bot.Handler]:
//
//   - application (slash) commands, one per command word: /spread, /spreads,
//     /issuer, /watch and /rule with subcommands, /alerts, /mute, /ack,
//     /status, /refresh, /help; each is translated back into the command
//     line the bot parses (`rule add hot "coupon > utility + 400bp" for=2h`);
//   - button presses on alert messages (Ack, Mute 1d, Mute 7d), run as the
//     user who pressed them and answered only to that user;
//   - as a fallback on the gateway, messages that mention the bot or start
//     with a prefix, answered with a reply to the message;
//   - autocomplete of tickers, watchlists and rule names, when the handler
//     also implements [Completer].
//
// Interactions arrive over the gateway (a websocket opened with the bot
// token), or over HTTP as signed POSTs to [Adapter.HTTPHandler]
// (/discord/interactions, verified with the application's Ed25519 public
// key); [Adapter.Run] serves whichever is configured, or both. A command
// that takes longer than about two seconds is deferred (type 5) and its
// answer follows up through the webhook endpoint. The guild is the team (a
// DM is the team "dm:" + user id) and the user id is the identity the bot
// checks roles against.
//
// One declarative table (commands.go) drives both the registration of the
// commands (a bulk overwrite at start, per guild when configured, else
// global; retried in the background with a jittered backoff from 1 s to
// 5 minutes while Discord is unreachable, see registerCommands) and the
// translation of interactions into command text.
//
// The adapter is also a [bot.Poster]: it posts alerts as embeds with
// buttons, edits the original message when an alert resolves and replies to
// it, and reports failures as [*bot.SendError] with a retry class.
//
// # Endpoints
//
// discordgo's endpoint URLs are package-level variables; this package never
// changes them. The REST client's transport rewrites requests to the
// configured API base, and answers discordgo's gateway lookup with the
// configured (or discovered) gateway URL.
//
// # Intents
//
// The gateway identifies with the Guilds and Guild Messages intents only.
// Message content is a privileged intent and is not requested by default:
// Discord still delivers the content of messages that mention the bot, so
// mentions work. Prefix commands need the Message Content intent, which
// Options.MessageContent requests (asking for it without enabling it in the
// developer portal makes Discord close the gateway with 4014, which stops
// Run with an error). Slash commands need no intent at all.
//
// # Rendering
//
// render.go turns a [bot.Reply] into a message: the plain text as content
// (at most 2,000 characters) and one embed with the title (256), the text
// and tables as monospace code blocks in the description (4,096), at most
// 25 fields (256/1,024), a footer with the as-of date and source (2,048),
// within 6,000 characters in all, coloured by severity; buttons at most five
// to a row. What does not fit is cut with "…and N more"; rendering never
// fails. Mentions are never parsed (allowed_mentions with an empty parse
// list), so echoed input cannot ping anyone.
//
// # Reconnects
//
// discordgo's built-in reconnect loop cannot be stopped once it runs and
// can outlive Close. The adapter turns it off and reconnects itself, with a
// backoff bounded by Run's context, so a cancelled Run leaves no session
// behind.
package discord
