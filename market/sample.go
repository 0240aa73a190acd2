package market

import (
	_ "embed"
	"strings"
)

// sampleFeed is the built-in example feed: twelve bitcoin-miner and
// AI-infrastructure issuers as of 2026-07-02 (illustrative research data,
// not investment data).
//
//go:embed sample/issuers-2026-07.json
var sampleFeed string

// Sample returns a fresh Snapshot of the built-in example feed, with
// Source "sample". Each call parses the feed anew, so callers may keep or
// change the result.
func Sample() (*Snapshot, error) {
	return Decode(strings.NewReader(sampleFeed), "sample")
}

// SampleJSON returns a copy of the built-in example feed as JSON.
func SampleJSON() []byte {
	return []byte(sampleFeed)
}
