package market

import (
	"strings"
	"time"
)

// Schema is the value of a feed's "schema" key that this package reads.
const Schema = "spreadwatch.issuer-feed/v1"

// header checks the feed's schema and reads its as_of. It reports false
// when the schema names another format, in which case nothing else is
// worth checking.
func (d *decoder) header(o obj) (time.Time, bool) {
	if v, ok := o.lookup("schema"); ok {
		if v.kind != kindString || v.str() != Schema {
			d.add(o.at("schema"), "want "+quote(Schema)+", got "+got(v))
			return time.Time{}, false
		}
	} else {
		d.missing(o, "schema")
	}
	return d.asOf(o, "as_of"), true
}

// asOf reads an RFC 3339 time or a bare date (midnight UTC), in UTC.
func (d *decoder) asOf(o obj, key string) time.Time {
	const want = "an RFC 3339 time or a date (2026-07-02T00:00:00Z or 2026-07-02)"
	v, ok := d.get(o, key, required, want)
	if !ok {
		return time.Time{}
	}
	if v.kind != kindString {
		d.add(o.at(key), "want "+want+", got "+jsonType(v))
		return time.Time{}
	}
	s := v.str()
	t, ok := parseAsOf(s)
	if !ok {
		d.add(o.at(key), "want "+want+", got "+quote(s))
	}
	return t
}

// parseAsOf parses an RFC 3339 time, whose year in UTC must have four
// digits so that it can be written back, or a bare date (midnight UTC)
// with a year from 1900 to 2200 like a DATE-WINDOW.
func parseAsOf(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		t = t.UTC()
		return t, t.Year() >= 0 && t.Year() <= 9999
	}
	return parseDay(s)
}

func (d *decoder) benchmark(o obj) Benchmark {
	var b Benchmark
	b.ID = d.id(o, "id", false, d.benchIDs)
	b.Name = d.name(o, "name", optional)
	b.Level = d.number(o, "level", nullable, DimRate)
	b.AsOf = d.window(o, "as_of", optional)
	if src, ok := d.object(o, "source", optional); ok {
		b.Provider = d.text(src, "provider", optional)
		b.Series = d.text(src, "series", optional)
	}
	return b
}

func (d *decoder) issuer(o obj) Issuer {
	var is Issuer
	is.Ticker = d.id(o, "ticker", true, d.tickers)
	is.Name = d.name(o, "name", required)
	is.Kind = d.text(o, "kind", optional)
	is.Rating = d.rating(o, "rating")
	if c, ok := d.object(o, "capacity", optional); ok {
		is.Capacity = d.capacity(c)
	}
	is.Bonds = decodeList(d, o, "bonds", optional, "id", d.bond)
	is.Projects = decodeList(d, o, "projects", optional, "id", d.project)
	is.Offtakes = decodeList(d, o, "offtakes", optional, "id", d.offtake)
	is.Metrics = d.metrics(o, "metrics")
	return is
}

func (d *decoder) capacity(o obj) Capacity {
	return Capacity{
		OperatingMW:         d.number(o, "operating_mw", optional, DimPower),
		UnderConstructionMW: d.number(o, "under_construction_mw", optional, DimPower),
		ContractedMW:        d.number(o, "contracted_mw", optional, DimPower),
		SecuredPowerMW:      d.number(o, "secured_power_mw", optional, DimPower),
		PipelineMW:          d.number(o, "pipeline_mw", optional, DimPower),
		Basis:               d.text(o, "basis", optional),
		AsOf:                d.window(o, "as_of", optional),
	}
}

func (d *decoder) bond(o obj) Bond {
	var b Bond
	b.ID = d.id(o, "id", false, d.bondIDs)
	b.Kind = d.text(o, "kind", optional)
	b.Coupon = d.number(o, "coupon", nullable, DimRate)
	b.CouponType = d.text(o, "coupon_type", optional)
	if f, ok := d.object(o, "floating", optional); ok {
		b.Floating = &Floating{
			Index:  d.text(f, "index", optional),
			Spread: d.number(f, "spread", optional, DimRate),
			Floor:  d.number(f, "floor", optional, DimRate),
		}
	}
	b.Maturity = d.window(o, "maturity", nullable)
	b.IssueDate = d.window(o, "issue_date", optional)
	b.AmountUSD = d.number(o, "amount_usd", optional, DimMoney)
	b.IssuePrice = d.priceOfPar(o, "issue_price")
	b.Secured = d.boolean(o, "secured", optional)
	b.Seniority = d.text(o, "seniority", optional)
	b.Price = d.priceOfPar(o, "price")
	b.Yield = d.number(o, "yield", optional, DimRate)
	b.Status = d.text(o, "status", optional)
	return b
}

func (d *decoder) project(o obj) Project {
	var p Project
	p.ID = d.id(o, "id", false, d.projectIDs)
	p.Name = d.name(o, "name", optional)
	p.Location = d.text(o, "location", optional)
	p.MWOriginal = d.number(o, "mw_original", nullable, DimPower)
	p.MWCurrent = d.number(o, "mw_current", nullable, DimPower)
	p.MWOperational = d.number(o, "mw_operational", optional, DimPower)
	p.OriginalTarget = d.window(o, "original_target", nullable)
	p.CurrentTarget = d.window(o, "current_target", nullable)
	p.Status = d.text(o, "status", required)
	p.LastConfirmed = d.window(o, "last_confirmed", optional)
	p.OfftakeIDs = d.stringList(o, "offtake_ids")
	return p
}

func (d *decoder) offtake(o obj) Offtake {
	var t Offtake
	t.ID = d.id(o, "id", false, d.offtakeIDs)
	t.Counterparty = d.name(o, "counterparty", required)
	t.CounterpartyTicker = d.name(o, "counterparty_ticker", optional)
	t.Type = d.text(o, "type", optional)
	t.MW = d.number(o, "mw", optional, DimPower)
	t.TermYears = d.number(o, "term_years", optional, DimNumber)
	t.Start = d.window(o, "start", optional)
	t.ContractValueUSD = d.number(o, "contract_value_usd", optional, DimMoney)
	t.AnnualRevenueUSD = d.number(o, "annual_revenue_usd", optional, DimMoney)
	if b, ok := d.object(o, "backstop", optional); ok {
		t.BackstopProvider = d.text(b, "provider", optional)
		t.BackstopUSD = d.number(b, "amount_usd", optional, DimMoney)
	}
	return t
}
