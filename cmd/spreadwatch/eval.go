package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spreadwatch/spreadwatch/market"
	"github.com/spreadwatch/spreadwatch/rules"
)

// Exit codes of the eval subcommand (contract).
const (
	exitOK        = 0
	exitDataError = 1
	exitRuleError = 2
)

const evalUsage = `usage: spreadwatch eval [--data FILE|DIR]... [--json] [--explain] EXPR

Evaluates one rule against the newest snapshot of the given feeds (or the
embedded sample); older snapshots feed prev, change and crossed_*.
Exit status: 0 evaluated, 1 data error, 2 rule error.`

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// parseInterspersed parses flags that may come before or after the
// positional arguments; "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		// fs.Parse stops at "--" (consumed) or at the first non-flag.
		pos = append(pos, args[0])
		args = args[1:]
	}
}

type evalJSON struct {
	Expr    string           `json:"expr"`
	Subject string           `json:"subject"`
	AsOf    string           `json:"as_of"`
	Results []evalJSONResult `json:"results"`
}

type evalJSONResult struct {
	ID      string   `json:"id"`
	Ticker  string   `json:"ticker"`
	Outcome string   `json:"outcome"`
	Detail  string   `json:"detail"`
	Explain []string `json:"explain,omitempty"`
}

func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var data stringList
	fs.Var(&data, "data", "feed `FILE` (JSON) or CSV directory; repeatable")
	asJSON := fs.Bool("json", false, "print one JSON document")
	explain := fs.Bool("explain", false, "show every comparison's values and distance to flipping")
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, evalUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "spreadwatch eval: %v\n%s\n", err, evalUsage)
		return exitRuleError
	}
	if len(pos) == 1 && strings.TrimSpace(pos[0]) == "" {
		fmt.Fprintf(stderr, "spreadwatch eval: the rule expression is empty\n%s\n", evalUsage)
		return exitRuleError
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "spreadwatch eval: want exactly one rule expression (quote it), got %d arguments\n%s\n", len(pos), evalUsage)
		return exitRuleError
	}
	src := pos[0]

	snaps, err := loadSnapshots(data)
	if err != nil {
		fmt.Fprintf(stderr, "spreadwatch eval: %v\n", err)
		return exitDataError
	}
	hist := rules.NewHistory(snaps...)
	ix := hist.Newest()
	snap := ix.Snapshot()

	prog, err := rules.Compile(src, rules.EnvFor(snap))
	if err != nil {
		fmt.Fprintf(stderr, "spreadwatch eval: %s\n", oneLine(err))
		return exitRuleError
	}
	results := prog.Eval(ix, hist, nil)

	var explanations map[string]string
	if *explain {
		explanations = make(map[string]string, len(results))
		for _, r := range results {
			e, err := prog.Explain(ix, hist, r.ID)
			if err != nil {
				explanations[r.ID] = "explain: " + err.Error()
				continue
			}
			explanations[r.ID] = e.String()
		}
	}

	if *asJSON {
		doc := evalJSON{
			Expr:    src,
			Subject: prog.Subject().String(),
			AsOf:    snap.AsOf.UTC().Format(time.RFC3339),
			Results: make([]evalJSONResult, len(results)),
		}
		for i, r := range results {
			doc.Results[i] = evalJSONResult{ID: r.ID, Ticker: r.Ticker, Outcome: string(r.Outcome), Detail: r.Detail}
			if e, ok := explanations[r.ID]; ok {
				doc.Results[i].Explain = strings.Split(strings.TrimRight(e, "\n"), "\n")
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintf(stderr, "spreadwatch eval: write: %v\n", err)
			return exitDataError
		}
		return exitOK
	}

	printEvalTable(stdout, src, prog.Subject(), snap, results)
	if *explain {
		for _, r := range results {
			fmt.Fprintf(stdout, "\n%s", explanations[r.ID])
			if !strings.HasSuffix(explanations[r.ID], "\n") {
				fmt.Fprintln(stdout)
			}
		}
	}
	return exitOK
}

func printEvalTable(w io.Writer, src string, subj rules.Subject, snap *market.Snapshot, results []rules.Result) {
	counts := map[rules.Outcome]int{}
	for _, r := range results {
		counts[r.Outcome]++
	}
	fmt.Fprintf(w, "rule: %s\nper %s · as of %s · %s\n\n", src, subj, snap.AsOf.UTC().Format("2006-01-02 15:04 MST"), snap.Source)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tTICKER\tOUTCOME\tDETAIL\n", strings.ToUpper(subj.String()))
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Ticker, r.Outcome, r.Detail)
	}
	tw.Flush()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", counts[rules.Outcome(k)], k)
	}
	noun := subj.String() + "s"
	if len(results) == 1 {
		noun = subj.String()
	}
	if len(results) == 0 {
		fmt.Fprintf(w, "\nno %s in the data\n", noun)
		return
	}
	fmt.Fprintf(w, "\n%d %s: %s\n", len(results), noun, strings.Join(parts, ", "))
}

// loadSnapshots reads every feed (or the sample when none is given).
func loadSnapshots(paths []string) ([]*market.Snapshot, error) {
	if len(paths) == 0 {
		s, err := market.Sample()
		if err != nil {
			return nil, err
		}
		return []*market.Snapshot{s}, nil
	}
	snaps := make([]*market.Snapshot, 0, len(paths))
	byAsOf := make(map[time.Time]*market.Snapshot, len(paths))
	for _, p := range paths {
		s, err := market.Load(p)
		if err != nil {
			return nil, err
		}
		if prev, ok := byAsOf[s.AsOf]; ok {
			if prev.Fingerprint() == s.Fingerprint() {
				continue // the same snapshot given twice
			}
			return nil, fmt.Errorf("%s and %s both have as_of %s but different data; each snapshot of a history needs its own as_of",
				prev.Source, s.Source, s.AsOf.UTC().Format(time.RFC3339))
		}
		byAsOf[s.AsOf] = s
		snaps = append(snaps, s)
	}
	return snaps, nil
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}
