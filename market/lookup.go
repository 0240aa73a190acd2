package market

import "strings"

// Issuer returns the issuer with the given ticker, matched without regard
// to case. The result points into s.
func (s *Snapshot) Issuer(ticker string) (*Issuer, bool) {
	for i := range s.Issuers {
		if strings.EqualFold(s.Issuers[i].Ticker, ticker) {
			return &s.Issuers[i], true
		}
	}
	return nil, false
}

// Benchmark returns the benchmark with the given id ("utility"), matched
// exactly or, failing that, without regard to case. The result points
// into s.
func (s *Snapshot) Benchmark(id string) (*Benchmark, bool) {
	for i := range s.Benchmarks {
		if s.Benchmarks[i].ID == id {
			return &s.Benchmarks[i], true
		}
	}
	for i := range s.Benchmarks {
		if strings.EqualFold(s.Benchmarks[i].ID, id) {
			return &s.Benchmarks[i], true
		}
	}
	return nil, false
}

// Tickers returns the issuers' tickers in feed order.
func (s *Snapshot) Tickers() []string {
	out := make([]string, len(s.Issuers))
	for i := range s.Issuers {
		out[i] = s.Issuers[i].Ticker
	}
	return out
}

// Bond returns the bond with the given id and its issuer, matching the id
// exactly or, failing that, without regard to case. The results point
// into s.
func (s *Snapshot) Bond(id string) (*Issuer, *Bond, bool) {
	for _, fold := range []bool{false, true} {
		for i := range s.Issuers {
			is := &s.Issuers[i]
			for j := range is.Bonds {
				if idMatch(is.Bonds[j].ID, id, fold) {
					return is, &is.Bonds[j], true
				}
			}
		}
	}
	return nil, nil, false
}

// Project returns the project with the given id and its issuer, matching
// the id exactly or, failing that, without regard to case. The results
// point into s.
func (s *Snapshot) Project(id string) (*Issuer, *Project, bool) {
	for _, fold := range []bool{false, true} {
		for i := range s.Issuers {
			is := &s.Issuers[i]
			for j := range is.Projects {
				if idMatch(is.Projects[j].ID, id, fold) {
					return is, &is.Projects[j], true
				}
			}
		}
	}
	return nil, nil, false
}

// Offtake returns the offtake contract with the given id and its issuer,
// matching the id exactly or, failing that, without regard to case. The
// results point into s.
func (s *Snapshot) Offtake(id string) (*Issuer, *Offtake, bool) {
	for _, fold := range []bool{false, true} {
		for i := range s.Issuers {
			is := &s.Issuers[i]
			for j := range is.Offtakes {
				if idMatch(is.Offtakes[j].ID, id, fold) {
					return is, &is.Offtakes[j], true
				}
			}
		}
	}
	return nil, nil, false
}

func idMatch(have, want string, fold bool) bool {
	if fold {
		return strings.EqualFold(have, want)
	}
	return have == want
}

// SlipDays returns how many days the project's current target ends after
// its original target (see [SlipDays]); false when either is unknown.
func (p *Project) SlipDays() (float64, bool) {
	return SlipDays(p.OriginalTarget, p.CurrentTarget)
}
