package bot

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/spreadwatch/spreadwatch/market"
)

// spreadBenchmark is the benchmark spreads are measured against.
const spreadBenchmark = "utility"

// maxSpreadRows bounds the spreads table.
const maxSpreadRows = 200

// bondSpread returns the bond's spread over utility in percent points:
// yield − utility when the yield is known, else coupon − utility.
func bondSpread(b *market.Bond, utility *float64) (float64, bool) {
	if utility == nil {
		return 0, false
	}
	switch {
	case b.Yield != nil:
		return *b.Yield - *utility, true
	case b.Coupon != nil:
		return *b.Coupon - *utility, true
	}
	return 0, false
}

// utilityLevel returns the utility benchmark level and its label.
func utilityLevel(s *market.Snapshot) (*float64, string) {
	bm, ok := s.Benchmark(spreadBenchmark)
	if !ok || bm.Level == nil {
		return nil, "utility n/a"
	}
	l := "utility " + market.FormatRate(*bm.Level)
	if bm.AsOf.Known() {
		l += " as of " + bm.AsOf.String()
	}
	return bm.Level, l
}

func needData(d *dataState) error {
	if d == nil {
		return userErrorf("no data loaded yet; try refresh")
	}
	return nil
}

// issuerOf finds the issuer or explains the unknown ticker.
func issuerOf(d *dataState, ticker string) (*market.Issuer, error) {
	is, ok := d.snap.Issuer(ticker)
	if !ok {
		return nil, unknownTicker(d, ticker)
	}
	return is, nil
}

// cmdSpread: spread TICKER.
func (b *Bot) cmdSpread(_ context.Context, c *call) (Reply, error) {
	if err := needData(c.data); err != nil {
		return Reply{}, err
	}
	is, err := issuerOf(c.data, c.cmd.Args[0])
	if err != nil {
		return Reply{}, err
	}
	u, ulabel := utilityLevel(c.data.snap)
	rep := Reply{
		Title:    fmt.Sprintf("%s — %s: spreads over %s", is.Ticker, is.Name, ulabel),
		Footer:   c.data.footer(),
		Severity: SeverityInfo,
	}
	if len(is.Bonds) == 0 {
		rep.Text = "No bonds on file."
		return rep, nil
	}
	t := Table{Columns: []string{"Bond", "Coupon", "Yield", "Spread", "Maturity", "Amount"}}
	for i := range is.Bonds {
		bd := &is.Bonds[i]
		sp := market.NA
		if v, ok := bondSpread(bd, u); ok {
			sp = market.FormatSpread(v)
			if bd.Yield == nil {
				sp += " (coupon)"
			}
		}
		t.Rows = append(t.Rows, []string{bd.ID, market.FormatPtr(bd.Coupon, market.FormatRate), market.FormatPtr(bd.Yield, market.FormatRate),
			sp, bd.Maturity.String(), market.FormatPtr(bd.AmountUSD, market.FormatUSD)})
	}
	rep.Tables = []Table{t}
	rep.Text = "Spread is yield − utility when the yield is known, else coupon − utility (marked coupon)."
	return rep, nil
}

// cmdSpreads: spreads [WATCHLIST].
func (b *Bot) cmdSpreads(_ context.Context, c *call) (Reply, error) {
	if err := needData(c.data); err != nil {
		return Reply{}, err
	}
	snap := c.data.snap
	scope := "all issuers"
	var tickers []string
	if len(c.cmd.Args) == 1 {
		w, err := b.watchlist(c.req.Team, c.cmd.Args[0])
		if err != nil {
			return Reply{}, err
		}
		tickers = w.Tickers
		scope = "watchlist " + w.Name
	} else {
		tickers = c.data.tickers
	}
	u, ulabel := utilityLevel(snap)
	type row struct {
		cells []string
		sp    float64
		known bool
	}
	var rows []row
	for _, tk := range tickers {
		is, ok := snap.Issuer(tk)
		if !ok {
			continue
		}
		for i := range is.Bonds {
			bd := &is.Bonds[i]
			v, ok := bondSpread(bd, u)
			sp := market.NA
			if ok {
				sp = market.FormatSpread(v)
			}
			rows = append(rows, row{cells: []string{is.Ticker, bd.ID, market.FormatPtr(bd.Coupon, market.FormatRate),
				market.FormatPtr(bd.Yield, market.FormatRate), sp, bd.Maturity.String()}, sp: v, known: ok})
		}
	}
	slices.SortStableFunc(rows, func(x, y row) int {
		if x.known != y.known {
			if x.known {
				return -1
			}
			return 1
		}
		return cmp.Compare(y.sp, x.sp)
	})
	rep := Reply{
		Title:    fmt.Sprintf("Spreads over %s — %s, widest first", ulabel, scope),
		Footer:   c.data.footer(),
		Severity: SeverityInfo,
	}
	if len(rows) == 0 {
		rep.Text = "No bonds on file for " + scope + "."
		return rep, nil
	}
	t := Table{Columns: []string{"Ticker", "Bond", "Coupon", "Yield", "Spread", "Maturity"}}
	for i, r := range rows {
		if i == maxSpreadRows {
			rep.Text = fmt.Sprintf("%d more not shown.", len(rows)-maxSpreadRows)
			break
		}
		t.Rows = append(t.Rows, r.cells)
	}
	rep.Tables = []Table{t}
	return rep, nil
}

// cmdIssuer: issuer TICKER.
func (b *Bot) cmdIssuer(_ context.Context, c *call) (Reply, error) {
	if err := needData(c.data); err != nil {
		return Reply{}, err
	}
	is, err := issuerOf(c.data, c.cmd.Args[0])
	if err != nil {
		return Reply{}, err
	}
	cp := is.Capacity
	rep := Reply{Title: fmt.Sprintf("%s — %s", is.Ticker, is.Name), Footer: c.data.footer(), Severity: SeverityInfo}
	add := func(n, v string) { rep.Fields = append(rep.Fields, Field{Name: n, Value: v, Inline: true}) }
	add("Kind", orNA(is.Kind))
	add("Rating", orNA(is.Rating))
	capAsOf := ""
	if cp.AsOf.Known() {
		capAsOf = " (as of " + cp.AsOf.String() + ")"
	}
	add("Operating", market.FormatPtr(cp.OperatingMW, market.FormatMW)+capAsOf)
	add("Contracted", market.FormatPtr(cp.ContractedMW, market.FormatMW))
	add("Pipeline", market.FormatPtr(cp.PipelineMW, market.FormatMW))
	planned, okP := sumKnown(cp.ContractedMW, cp.PipelineMW)
	ratio := market.NA
	if okP && cp.OperatingMW != nil && *cp.OperatingMW > 0 {
		ratio = fmt.Sprintf("%.1f× (%s planned)", planned / *cp.OperatingMW, market.FormatMW(planned))
	}
	add("Planned/operating", ratio)

	// Bonds summary.
	var debt, maxCoupon float64
	haveCoupon := false
	for i := range is.Bonds {
		bd := &is.Bonds[i]
		if bd.AmountUSD != nil {
			debt += *bd.AmountUSD
		}
		if bd.Coupon != nil && (!haveCoupon || *bd.Coupon > maxCoupon) {
			maxCoupon, haveCoupon = *bd.Coupon, true
		}
	}
	bonds := fmt.Sprintf("%d, %s known amount", len(is.Bonds), market.FormatUSD(debt))
	if haveCoupon {
		bonds += ", max coupon " + market.FormatRate(maxCoupon)
	}
	add("Bonds", bonds+" (spread TICKER for detail)")

	if len(is.Projects) > 0 {
		t := Table{Title: "Projects", Columns: []string{"Project", "MW now/orig", "Original", "Current", "Slip", "Status"}}
		for i := range is.Projects {
			p := &is.Projects[i]
			slip := market.NA
			if d, ok := p.SlipDays(); ok {
				slip = market.FormatDays(d)
				if d > 0 {
					slip = "+" + slip
				}
			}
			t.Rows = append(t.Rows, []string{p.ID, market.FormatPtr(p.MWCurrent, market.FormatMW) + " / " + market.FormatPtr(p.MWOriginal, market.FormatMW),
				p.OriginalTarget.String(), p.CurrentTarget.String(), slip, orNA(p.Status)})
		}
		rep.Tables = append(rep.Tables, t)
	}
	if len(is.Offtakes) > 0 {
		var total, top float64
		topName := ""
		for i := range is.Offtakes {
			o := &is.Offtakes[i]
			if o.ContractValueUSD != nil {
				total += *o.ContractValueUSD
				if *o.ContractValueUSD > top {
					top, topName = *o.ContractValueUSD, o.Counterparty
				}
			}
		}
		t := Table{Title: "Offtakes", Columns: []string{"Counterparty", "MW", "Term", "Start", "Value", "Share"}}
		for i := range is.Offtakes {
			o := &is.Offtakes[i]
			share := market.NA
			if o.ContractValueUSD != nil && total > 0 {
				share = fmt.Sprintf("%.0f%%", 100**o.ContractValueUSD/total)
			}
			term := market.NA
			if o.TermYears != nil {
				term = strings.TrimSuffix(market.FormatNumber(*o.TermYears), ".0") + "y"
			}
			t.Rows = append(t.Rows, []string{o.Counterparty, market.FormatPtr(o.MW, market.FormatMW), term, o.Start.String(),
				market.FormatPtr(o.ContractValueUSD, market.FormatUSD), share})
		}
		rep.Tables = append(rep.Tables, t)
		if total > 0 {
			add("Top customer", fmt.Sprintf("%s, %.0f%% of %s contracted value", topName, math.Round(100*top/total), market.FormatUSD(total)))
		}
	}
	return rep, nil
}

func orNA(s string) string {
	if s == "" {
		return market.NA
	}
	return s
}

// sumKnown adds the known values; false when none is known.
func sumKnown(vs ...*float64) (float64, bool) {
	var s float64
	ok := false
	for _, v := range vs {
		if v != nil {
			s += *v
			ok = true
		}
	}
	return s, ok
}
