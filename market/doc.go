// Package market is spreadwatch's domain model: issuers with their bonds,
// projects and offtake contracts, reference-rate benchmarks, and the
// [Snapshot] that holds all of them at one as-of time. It also owns units
// (parsing "400bp" or "$1.2bn", formatting "+415 bp" or "1,250 MW"),
// DATE-WINDOWs such as "2026-Q3", and the issuer feed format.
//
// # Units
//
// Every number is stored as a float64 in its dimension's base unit:
//
//   - rates (coupons, yields, benchmark levels, spreads) in percent
//     points: a 9.25% coupon is 9.25 and a spread of 415 bp is 4.15;
//   - money in US dollars: $2.35bn is 2.35e9;
//   - capacity in megawatts: 1.5GW is 1500;
//   - durations in days: 6mo is 182.5 (a month is 365/12 days), 2y is
//     730, 12h is 0.5.
//
// Unknown values are nil pointers, never zero. [ParseQuantity] and
// [LookupSuffix] implement the unit literals shared by feeds and by the
// rule language (bp, bps, %, pct; h, d, w, mo, y; kW, MW, GW; k, m, mm,
// b, bn, tn; a leading $); [Format] and its siblings render values for
// chat.
//
// # Dates
//
// A DATE-WINDOW names an interval of days: 2026-07-01, 2026-07, 2026-Q3,
// 2026-H2, 2026, or START/END. [ParseWindow] turns it into a [Window]
// whose End is the last day, so that [SlipDays] of a project moved from
// 2026-H2 to 2027-Q1 is 90. A full RFC 3339 timestamp is accepted too, in
// a feed or on either side of START/END, and names the day it falls on in
// UTC: "2026-07-01T12:00:00Z" is 2026-07-01, "2026-07-01T23:30:00-05:00"
// is 2026-07-02. The window keeps the timestamp as its Text.
//
// # Feeds
//
// A feed is one JSON document in the spreadwatch.issuer-feed/v1 format
// (shared/reference/feed-format.md), or a directory of CSV files with the
// same tables. [Decode], [Load] and [LoadCSV] read them; [Encode] writes
// the JSON form back. Values may be JSON numbers or strings in the unit
// grammar ("9.25%", "$2.35bn"); null means unknown; keys the format does
// not know are ignored. Prices (price, issue_price) are in percent of par:
// 99.5 or "99.5%". Dollar amounts and megawatts may not be negative
// (rates may). Ids, tickers and names (of issuers, benchmarks, projects
// and counterparties) may not hold control characters (bytes below 0x20,
// or 0x7f), which would break a line or a table when shown. A feed with
// any problem is rejected whole with a *[FeedError] that names the path of
// every problem and what was expected:
//
//	feed.json: issuers[CIFR].bonds[CIFR-7.125-2030].maturity: required key missing
//	feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].coupon: want a percent number or "6.125%", got "6,125"
//
// [Sample] returns the built-in example feed of twelve issuers.
//
// Snapshots are plain values: safe for concurrent reads, not for
// concurrent writes. The package holds no global state.
package market
