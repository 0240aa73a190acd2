package market

import "testing"

func TestLookups(t *testing.T) {
	s := mustSample(t)
	for _, ticker := range []string{"CIFR", "cifr", "Cifr"} {
		if is, ok := s.Issuer(ticker); !ok || is.Ticker != "CIFR" {
			t.Errorf("Issuer(%q) = %v, %v; want CIFR", ticker, is, ok)
		}
	}
	if is, ok := s.Issuer("NOPE"); ok || is != nil {
		t.Errorf("Issuer(NOPE) = %v, %v; want nil, false", is, ok)
	}
	if b, ok := s.Benchmark("TREASURY_10Y"); !ok || b.ID != "treasury_10y" {
		t.Errorf("Benchmark(TREASURY_10Y) = %v, %v", b, ok)
	}
	if _, ok := s.Benchmark("libor"); ok {
		t.Error("Benchmark(libor) found")
	}
	if is, b, ok := s.Bond("cifr-7.125-2030"); !ok || is.Ticker != "CIFR" || b.ID != "CIFR-7.125-2030" {
		t.Errorf("Bond(cifr-7.125-2030) = %v, %v, %v", is, b, ok)
	}
	if _, _, ok := s.Bond("nope"); ok {
		t.Error("Bond(nope) found")
	}
	if is, p, ok := s.Project("GLXY-HELIOS-P1"); !ok || is.Ticker != "GLXY" || p.ID != "GLXY-HELIOS-P1" {
		t.Errorf("Project(GLXY-HELIOS-P1) = %v, %v, %v", is, p, ok)
	}
	if _, _, ok := s.Project("nope"); ok {
		t.Error("Project(nope) found")
	}
	if is, o, ok := s.Offtake("IREN-MSFT"); !ok || is.Ticker != "IREN" || o.Counterparty != "Microsoft" {
		t.Errorf("Offtake(IREN-MSFT) = %v, %v, %v", is, o, ok)
	}
	if _, _, ok := s.Offtake("nope"); ok {
		t.Error("Offtake(nope) found")
	}

	// Results point into the snapshot.
	is, _ := s.Issuer("MARA")
	is.Name = "changed"
	if s.Issuers[len(s.Issuers)-1].Name != "changed" {
		t.Error("Issuer() returned a copy, want a pointer into the snapshot")
	}

	// An exact id match wins over a case-insensitive one.
	two := &Snapshot{Issuers: []Issuer{{Ticker: "A", Bonds: []Bond{{ID: "x"}}}, {Ticker: "B", Bonds: []Bond{{ID: "X"}}}}}
	if is, _, _ := two.Bond("X"); is.Ticker != "B" {
		t.Errorf("Bond(X) found it at %s, want B", is.Ticker)
	}
	if got := (&Snapshot{}).Tickers(); len(got) != 0 {
		t.Errorf("Tickers() of an empty snapshot = %v", got)
	}
}
