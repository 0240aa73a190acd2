package market

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// The v1 feed shape as written by Encode. Required keys that may be null
// are pointers without omitempty; optional ones are omitted when unknown.
type (
	feedJSON struct {
		Schema     string          `json:"schema"`
		AsOf       string          `json:"as_of"`
		Benchmarks []benchmarkJSON `json:"benchmarks"`
		Issuers    []issuerJSON    `json:"issuers"`
	}
	benchmarkJSON struct {
		ID     string      `json:"id"`
		Name   string      `json:"name,omitempty"`
		Level  *float64    `json:"level"`
		AsOf   *string     `json:"as_of,omitempty"`
		Source *sourceJSON `json:"source,omitempty"`
	}
	sourceJSON struct {
		Provider string `json:"provider,omitempty"`
		Series   string `json:"series,omitempty"`
	}
	issuerJSON struct {
		Ticker   string             `json:"ticker"`
		Name     string             `json:"name"`
		Kind     string             `json:"kind,omitempty"`
		Rating   *ratingJSON        `json:"rating,omitempty"`
		Capacity *capacityJSON      `json:"capacity,omitempty"`
		Bonds    []bondJSON         `json:"bonds,omitempty"`
		Projects []projectJSON      `json:"projects,omitempty"`
		Offtakes []offtakeJSON      `json:"offtakes,omitempty"`
		Metrics  map[string]float64 `json:"metrics,omitempty"`
	}
	ratingJSON struct {
		SP string `json:"sp"`
	}
	capacityJSON struct {
		OperatingMW         *float64 `json:"operating_mw,omitempty"`
		UnderConstructionMW *float64 `json:"under_construction_mw,omitempty"`
		ContractedMW        *float64 `json:"contracted_mw,omitempty"`
		SecuredPowerMW      *float64 `json:"secured_power_mw,omitempty"`
		PipelineMW          *float64 `json:"pipeline_mw,omitempty"`
		Basis               string   `json:"basis,omitempty"`
		AsOf                *string  `json:"as_of,omitempty"`
	}
	bondJSON struct {
		ID         string        `json:"id"`
		Kind       string        `json:"kind,omitempty"`
		Coupon     *float64      `json:"coupon"`
		CouponType string        `json:"coupon_type,omitempty"`
		Floating   *floatingJSON `json:"floating,omitempty"`
		Maturity   *string       `json:"maturity"`
		IssueDate  *string       `json:"issue_date,omitempty"`
		AmountUSD  *float64      `json:"amount_usd,omitempty"`
		IssuePrice *float64      `json:"issue_price,omitempty"`
		Secured    *bool         `json:"secured,omitempty"`
		Seniority  string        `json:"seniority,omitempty"`
		Price      *float64      `json:"price,omitempty"`
		Yield      *float64      `json:"yield,omitempty"`
		Status     string        `json:"status,omitempty"`
	}
	floatingJSON struct {
		Index  string   `json:"index,omitempty"`
		Spread *float64 `json:"spread,omitempty"`
		Floor  *float64 `json:"floor,omitempty"`
	}
	projectJSON struct {
		ID             string   `json:"id"`
		Name           string   `json:"name,omitempty"`
		Location       string   `json:"location,omitempty"`
		MWOriginal     *float64 `json:"mw_original"`
		MWCurrent      *float64 `json:"mw_current"`
		MWOperational  *float64 `json:"mw_operational,omitempty"`
		OriginalTarget *string  `json:"original_target"`
		CurrentTarget  *string  `json:"current_target"`
		Status         string   `json:"status"`
		LastConfirmed  *string  `json:"last_confirmed,omitempty"`
		OfftakeIDs     []string `json:"offtake_ids,omitempty"`
	}
	offtakeJSON struct {
		ID                 string        `json:"id"`
		Counterparty       string        `json:"counterparty"`
		CounterpartyTicker string        `json:"counterparty_ticker,omitempty"`
		Type               string        `json:"type,omitempty"`
		MW                 *float64      `json:"mw,omitempty"`
		TermYears          *float64      `json:"term_years,omitempty"`
		Start              *string       `json:"start,omitempty"`
		ContractValueUSD   *float64      `json:"contract_value_usd,omitempty"`
		AnnualRevenueUSD   *float64      `json:"annual_revenue_usd,omitempty"`
		Backstop           *backstopJSON `json:"backstop,omitempty"`
	}
	backstopJSON struct {
		Provider  string   `json:"provider,omitempty"`
		AmountUSD *float64 `json:"amount_usd,omitempty"`
	}
)

// Encode writes s as an indented spreadwatch.issuer-feed/v1 JSON feed that
// [Decode] reads back to an equal Snapshot (Source aside). Windows are
// written as their Text; a known window without Text is written as its
// days. Only the fields of the data model are written: keys the model
// does not hold (src, note, …) are not kept. Encode fails if a number is
// NaN or infinite.
func Encode(w io.Writer, s *Snapshot) error {
	if s == nil {
		return errors.New("encode snapshot: nil snapshot")
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(toJSON(s)); err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	return nil
}

// Fingerprint returns the hex SHA-256 of the snapshot's canonical (compact)
// encoding, so that two snapshots with equal content, as of the same time,
// have equal fingerprints whatever their Source. It returns "" for a nil
// snapshot or one that cannot be encoded (a NaN or infinite number).
func (s *Snapshot) Fingerprint() string {
	if s == nil {
		return ""
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(toJSON(s)); err != nil {
		return ""
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

func toJSON(s *Snapshot) feedJSON {
	f := feedJSON{
		Schema:     Schema,
		AsOf:       s.AsOf.UTC().Format(time.RFC3339Nano),
		Benchmarks: make([]benchmarkJSON, 0, len(s.Benchmarks)),
		Issuers:    make([]issuerJSON, 0, len(s.Issuers)),
	}
	for _, b := range s.Benchmarks {
		bj := benchmarkJSON{ID: b.ID, Name: b.Name, Level: b.Level, AsOf: windowJSON(b.AsOf)}
		if b.Provider != "" || b.Series != "" {
			bj.Source = &sourceJSON{Provider: b.Provider, Series: b.Series}
		}
		f.Benchmarks = append(f.Benchmarks, bj)
	}
	for i := range s.Issuers {
		f.Issuers = append(f.Issuers, issuerToJSON(&s.Issuers[i]))
	}
	return f
}

func issuerToJSON(is *Issuer) issuerJSON {
	ij := issuerJSON{Ticker: is.Ticker, Name: is.Name, Kind: is.Kind, Metrics: is.Metrics}
	if is.Rating != "" {
		ij.Rating = &ratingJSON{SP: is.Rating}
	}
	c := is.Capacity
	cj := capacityJSON{
		OperatingMW:         c.OperatingMW,
		UnderConstructionMW: c.UnderConstructionMW,
		ContractedMW:        c.ContractedMW,
		SecuredPowerMW:      c.SecuredPowerMW,
		PipelineMW:          c.PipelineMW,
		Basis:               c.Basis,
		AsOf:                windowJSON(c.AsOf),
	}
	if cj != (capacityJSON{}) {
		ij.Capacity = &cj
	}
	for _, b := range is.Bonds {
		bj := bondJSON{
			ID: b.ID, Kind: b.Kind, Coupon: b.Coupon, CouponType: b.CouponType,
			Maturity: windowJSON(b.Maturity), IssueDate: windowJSON(b.IssueDate),
			AmountUSD: b.AmountUSD, IssuePrice: b.IssuePrice, Secured: b.Secured,
			Seniority: b.Seniority, Price: b.Price, Yield: b.Yield, Status: b.Status,
		}
		if b.Floating != nil {
			bj.Floating = &floatingJSON{Index: b.Floating.Index, Spread: b.Floating.Spread, Floor: b.Floating.Floor}
		}
		ij.Bonds = append(ij.Bonds, bj)
	}
	for _, p := range is.Projects {
		ij.Projects = append(ij.Projects, projectJSON{
			ID: p.ID, Name: p.Name, Location: p.Location,
			MWOriginal: p.MWOriginal, MWCurrent: p.MWCurrent, MWOperational: p.MWOperational,
			OriginalTarget: windowJSON(p.OriginalTarget), CurrentTarget: windowJSON(p.CurrentTarget),
			Status: p.Status, LastConfirmed: windowJSON(p.LastConfirmed), OfftakeIDs: p.OfftakeIDs,
		})
	}
	for _, t := range is.Offtakes {
		tj := offtakeJSON{
			ID: t.ID, Counterparty: t.Counterparty, CounterpartyTicker: t.CounterpartyTicker,
			Type: t.Type, MW: t.MW, TermYears: t.TermYears, Start: windowJSON(t.Start),
			ContractValueUSD: t.ContractValueUSD, AnnualRevenueUSD: t.AnnualRevenueUSD,
		}
		if t.BackstopProvider != "" || t.BackstopUSD != nil {
			tj.Backstop = &backstopJSON{Provider: t.BackstopProvider, AmountUSD: t.BackstopUSD}
		}
		ij.Offtakes = append(ij.Offtakes, tj)
	}
	return ij
}

// windowJSON returns the text of a known window, or nil.
func windowJSON(w Window) *string {
	if !w.Known() {
		return nil
	}
	s := w.String()
	return &s
}
