package market

import (
	"strconv"
	"strings"
)

// maxProblems is how many problems a FeedError lists before it only counts
// the rest.
const maxProblems = 50

// Problem is one thing wrong with a feed.
type Problem struct {
	// Path locates the value: "issuers[CIFR].bonds[CIFR-7.125-2030].coupon"
	// in a JSON feed, "bonds.csv:4: coupon_pct" in a CSV directory, or ""
	// for the file as a whole.
	Path string
	// Msg says what was expected and what was found, e.g.
	// `want a percent number or "6.125%", got "6,125"`.
	Msg string
}

// String returns "path: msg", or msg alone when the path is empty.
func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// FeedError is returned when a feed is rejected. A feed with any problem is
// rejected whole; FeedError lists every problem found, up to 50.
type FeedError struct {
	// Source names the feed: a file path, a directory, or "sample".
	Source string
	// Problems are in the order they occur in the feed.
	Problems []Problem
	// Omitted counts further problems not listed in Problems.
	Omitted int
}

// Error returns one line per problem, "source: path: msg", and a last line
// "source: …and N more problems" when some were omitted.
func (e *FeedError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Source)
		b.WriteString(": ")
		b.WriteString(p.String())
	}
	if e.Omitted > 0 {
		if len(e.Problems) > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Source)
		b.WriteString(": …and ")
		b.WriteString(strconv.Itoa(e.Omitted))
		if e.Omitted == 1 {
			b.WriteString(" more problem")
		} else {
			b.WriteString(" more problems")
		}
	}
	return b.String()
}

// problems collects the problems of one feed.
type problems struct {
	list    []Problem
	omitted int
	seen    map[Problem]bool
}

// add records a problem once; repeats (a missing CSV column on every row)
// are dropped.
func (ps *problems) add(path, msg string) {
	p := Problem{Path: path, Msg: msg}
	if ps.seen[p] {
		return
	}
	if ps.seen == nil {
		ps.seen = make(map[Problem]bool)
	}
	ps.seen[p] = true
	if len(ps.list) >= maxProblems {
		ps.omitted++
		return
	}
	ps.list = append(ps.list, p)
}

// err returns the collected problems as a *FeedError, or nil if there are
// none.
func (ps *problems) err(source string) error {
	if len(ps.list) == 0 {
		return nil
	}
	return &FeedError{Source: source, Problems: ps.list, Omitted: ps.omitted}
}

// feedError returns a FeedError with a single problem.
func feedError(source, path, msg string) *FeedError {
	return &FeedError{Source: source, Problems: []Problem{{Path: path, Msg: msg}}}
}
