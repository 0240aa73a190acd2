package market

import (
	"time"
)

// Snapshot is everything known about the world at one as-of time: the
// benchmarks and every issuer with its bonds, projects and offtakes.
//
// A Snapshot is immutable once loaded; it is safe for concurrent reads.
type Snapshot struct {
	// AsOf is the time the snapshot describes (the feed's as_of).
	AsOf time.Time
	// Source names where the snapshot came from: a file path, a
	// directory, or "sample" for the embedded dataset.
	Source string
	// Benchmarks are reference rates in feed order.
	Benchmarks []Benchmark
	// Issuers are in feed order.
	Issuers []Issuer
}

// Benchmark is a reference rate such as the regulated-utility borrowing cost.
type Benchmark struct {
	ID   string
	Name string
	// Level is in percent points (4.5 means 4.5%); nil when unknown.
	Level *float64
	// AsOf is when the level was observed; zero when unknown.
	AsOf     Window
	Provider string // "manual", "fred", "derived", or ""
	Series   string
}

// Issuer is one company with its debt, capacity and contracts.
type Issuer struct {
	Ticker string
	Name   string
	Kind   string
	// Rating is the S&P-style rating, or "" when unrated or unknown.
	Rating   string
	Capacity Capacity
	Bonds    []Bond
	Projects []Project
	Offtakes []Offtake
	// Metrics holds free-form numeric facts (e.g. "cds_5y_bp"); only
	// numeric values are kept.
	Metrics map[string]float64
}

// Capacity is the issuer's power position in megawatts. Nil means unknown.
type Capacity struct {
	OperatingMW         *float64
	UnderConstructionMW *float64
	ContractedMW        *float64
	SecuredPowerMW      *float64
	PipelineMW          *float64
	Basis               string
	AsOf                Window
}

// Bond is one debt instrument. Rates are percent points; amounts USD.
type Bond struct {
	ID         string
	Kind       string // senior_notes, convertible, exchangeable, term_loan
	Coupon     *float64
	CouponType string // fixed, floating, zero
	// Floating describes a floating coupon (index plus spread); nil for
	// fixed and zero coupons or when unknown.
	Floating   *Floating
	Maturity   Window
	IssueDate  Window
	AmountUSD  *float64
	IssuePrice *float64
	Secured    *bool
	Seniority  string
	Price      *float64
	Yield      *float64
	Status     string
}

// Floating is the reference rate of a floating-rate instrument. Spread
// and Floor are percent points: SOFR + 475 bp has Spread 4.75.
type Floating struct {
	Index  string // e.g. "SOFR_1M"
	Spread *float64
	Floor  *float64
}

// Project is a power/data-centre build with original and current targets.
type Project struct {
	ID             string
	Name           string
	Location       string
	MWOriginal     *float64
	MWCurrent      *float64
	MWOperational  *float64
	OriginalTarget Window
	CurrentTarget  Window
	Status         string
	LastConfirmed  Window
	OfftakeIDs     []string
}

// Offtake is a customer contract backing revenue.
type Offtake struct {
	ID                 string
	Counterparty       string
	CounterpartyTicker string
	Type               string
	MW                 *float64
	TermYears          *float64
	Start              Window
	ContractValueUSD   *float64
	AnnualRevenueUSD   *float64
	BackstopProvider   string
	BackstopUSD        *float64
}

// Window is a DATE-WINDOW from the feed: the closed interval of days
// [Start, End] that a value such as "2026-Q3" names. The zero Window means
// unknown.
type Window struct {
	// Start is the first day (00:00 UTC) of the interval.
	Start time.Time
	// End is the last day (00:00 UTC) of the interval: for "2026-Q3"
	// it is 2026-09-30.
	End time.Time
	// Text is the value as written in the feed.
	Text string
}

// Known reports whether the window holds a value.
func (w Window) Known() bool { return !w.End.IsZero() }
