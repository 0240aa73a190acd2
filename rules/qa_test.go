package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/market"
)

func boolp(b bool) *bool { return &b }

// qaSnapshot mirrors QA's feeds a1.json and zero.json: OMGA-6-2035 has a
// 6% coupon and no secured flag, ZETA-9-2029 a 9% coupon; ZRO has 100 MW
// contracted and no pipeline. Only a1 has a utility benchmark.
func qaSnapshot(withUtility bool) *market.Snapshot {
	s := &market.Snapshot{
		AsOf: date(2026, 9, 15),
		Issuers: []market.Issuer{
			{
				Ticker:   "ZETA",
				Capacity: market.Capacity{OperatingMW: num(450), ContractedMW: num(450), PipelineMW: num(900)},
				Bonds: []market.Bond{
					{ID: "ZETA-11-2030", Coupon: num(11), Secured: boolp(false), Maturity: day1(2030, 9, 30)},
					{ID: "ZETA-9-2029", Coupon: num(9), Secured: boolp(true), Maturity: day1(2029, 12, 31)},
				},
				Offtakes: []market.Offtake{{ID: "ZETA-O1", MW: num(200)}, {ID: "ZETA-O2"}},
			},
			{
				Ticker: "OMGA",
				Bonds:  []market.Bond{{ID: "OMGA-6-2035", Coupon: num(6), Maturity: day1(2035, 6, 1)}},
			},
			{Ticker: "EMPT"},
			{Ticker: "ZRO", Capacity: market.Capacity{OperatingMW: num(0), ContractedMW: num(100)}},
			{Ticker: "HUGE", Capacity: market.Capacity{OperatingMW: num(1.5e308)}},
		},
	}
	if withUtility {
		s.Benchmarks = []market.Benchmark{{ID: "utility", Level: num(5.1)}, {ID: "treasury_10y"}}
	}
	return s
}

// TestQADefects checks outcomes QA reported wrong, one subject each.
func TestQADefects(t *testing.T) {
	snap := qaSnapshot(true)
	ix := NewIndex(snap)
	env := EnvFor(snap)
	tests := []struct {
		name, src, id string
		want          Outcome
		missing       string
		detail        string // checked when not empty
	}{
		// D1: the known side of && and || decides, in either order.
		{"D1 or", "coupon > 5 || secured == true", "OMGA-6-2035", Match, "", ""},
		{"D1 or swapped", "secured == true || coupon > 5", "OMGA-6-2035", Match, "", ""},
		{"D1 or undecided", "coupon > 7 || secured == true", "OMGA-6-2035", LacksData, "secured", "secured is unknown"},
		{"D1 and", "coupon > 50 && secured == true", "OMGA-6-2035", NoMatch, "", ""},
		{"D1 and swapped", "secured == true && coupon > 50", "OMGA-6-2035", NoMatch, "", ""},
		{"D1 and undecided", "coupon > 5 && secured == true", "OMGA-6-2035", LacksData, "secured", "secured is unknown"},
		{"D1 not", "!(secured == true) && coupon > 50", "OMGA-6-2035", NoMatch, "", ""},
		{"D1 not undecided", "!(secured == true) && coupon > 5", "OMGA-6-2035", LacksData, "secured", ""},
		{"D1 bare bool", "secured || coupon > 5", "OMGA-6-2035", Match, "", ""},
		{"D1 negated bare bool", "!secured && coupon > 50", "OMGA-6-2035", NoMatch, "", ""},
		{"D1 any false", "any(offtakes, .mw >= 150) && max_coupon > 8%", "EMPT", NoMatch, "", ""},
		{"D1 any true", "any(offtakes, .mw >= 150) && max_coupon > 8%", "ZETA", Match, "", ""},
		{"D1 unknown benchmark", "treasury_10y > 4% || coupon > 5%", "OMGA-6-2035", Match, "", ""},
		{"D1 unknown benchmark undecided", "treasury_10y > 4% || coupon > 7%", "OMGA-6-2035", LacksData, "treasury_10y", "treasury_10y is unknown"},
		{"D1 equality of unknowns", "(secured == true) == (coupon > 5)", "OMGA-6-2035", LacksData, "secured", ""},
		{"D1 let", "let c = coupon; c > 5 || secured", "OMGA-6-2035", LacksData, "secured", ""},
		// An unknown element field with a known variable that does not decide.
		{"D1 element and variable", "any(offtakes, .mw > 300) || operating_mw > 1000", "ZETA", LacksData, "offtakes[ZETA-O2].mw", ""},
		// D2, D3: true-or-false element fields in predicates.
		{"D2 all", "all(bonds, .secured)", "OMGA", LacksData, "bonds[OMGA-6-2035].secured", "bonds[OMGA-6-2035].secured is unknown"},
		{"D2 any", "any(bonds, .secured)", "ZETA", Match, "", ""},
		{"D2 any unknown", "any(bonds, .secured)", "OMGA", LacksData, "bonds[OMGA-6-2035].secured", ""},
		{"D2 filter", "len(filter(bonds, .secured)) >= 1", "ZETA", Match, "", ""},
		{"D2 filter unknown", "len(filter(bonds, .secured)) >= 1", "OMGA", LacksData, "bonds[OMGA-6-2035].secured", ""},
		{"D2 none", "none(bonds, .secured)", "OMGA", LacksData, "bonds[OMGA-6-2035].secured", ""},
		{"D2 index", "bonds[0].secured", "OMGA", LacksData, "bonds[OMGA-6-2035].secured", ""},
		{"D3 not", "any(bonds, !.secured)", "OMGA", LacksData, "bonds[OMGA-6-2035].secured", "bonds[OMGA-6-2035].secured is unknown"},
		{"D3 not known", "any(bonds, !.secured)", "ZETA", Match, "", ""},
		{"D3 not and", "any(bonds, !.secured && .coupon > 50)", "OMGA", NoMatch, "", ""},
		{"D3 negated comparison", "any(offtakes, .mw > 100 && !(.mw > 300))", "ZETA", Match, "", ""},
		{"D3 negated comparison undecided", "any(offtakes, .mw > 300 || !(.mw > 100))", "ZETA", LacksData, "offtakes[ZETA-O2].mw", ""},
		{"D3 one", "one(offtakes, .mw > 100)", "ZETA", LacksData, "offtakes[ZETA-O2].mw", ""},
		// D4: division by zero, NaN and infinities are errors.
		{"D4 division by zero", "1 / (coupon - 9) > 0", "ZETA-9-2029", Error, "", "division by zero"},
		{"D4 division", "1 / (coupon - 9) > 0", "ZETA-11-2030", Match, "", ""},
		{"D4 division by literal zero", "operating_mw / 0 > 1", "ZETA", Error, "", "division by zero"},
		{"D4 zero over zero", "0/0 > 1", "ZETA", Error, "", "division by zero"},
		{"D4 overflow", "operating_mw * 1e307 > 0", "ZETA", Error, "", "arithmetic overflow: the result is too large"},
		{"D4 overflow by addition", "operating_mw + 1.7e308 + 1.7e308 > 0", "ZETA", Error, "", "arithmetic overflow: the result is too large"},
		{"D4 nan", "(0 - operating_mw) ** 0.5 > 0", "ZETA", Error, "", "arithmetic result is undefined (not a number)"},
		{"D4 overflow of a huge feed value", "operating_mw + operating_mw > 0", "HUGE", Error, "", "arithmetic overflow: the result is too large"},
		{"D4 huge feed value", "operating_mw - 1 > 0", "HUGE", Match, "", ""},
		{"D4 element division", "any(offtakes, .mw / 0 > 1)", "ZETA", Error, "", "division by zero"},
		// D5: % on numbers of any kind.
		{"D5 float modulo", "operating_mw % 7 == 2", "ZETA", Match, "", ""},
		{"D5 modulo by zero", "operating_mw % 0 == 2", "ZETA", Error, "", "modulo by zero"},
		{"D5 integer modulo", "100 % 7 == 2 && 100%7 == 2 && len(bonds) % 2 == 0", "ZETA", Match, "", ""},
		{"D5 fraction modulo", "2.5 % 1 == 0.5", "ZETA", Match, "", ""},
		{"D5 percent literal", "4.5% > 4 && coupon % 4 == 1", "ZETA-9-2029", Match, "", ""},
		{"D5 element modulo", "any(offtakes, .mw % 7 == 4)", "ZETA", Match, "", ""},
		// D7: an unknown pipeline makes planned_mw unknown, never 0.
		{"D7 planned_mw", "planned_mw > 50", "ZRO", LacksData, "planned_mw", "planned_mw is unknown (pipeline_mw is unknown)"},
		{"D7 pipeline_ratio", "pipeline_ratio > 1", "ZRO", LacksData, "pipeline_ratio", "pipeline_ratio is unknown (pipeline_mw is unknown)"},
		{"D7 known", "planned_mw == 1350MW && pipeline_ratio == 3", "ZETA", Match, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, tt.src, env)
			r, err := p.EvalOne(ix, nil, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != tt.want || r.Missing != tt.missing {
				t.Errorf("%s on %s = %s (missing %q, %s), want %s (missing %q)", tt.src, tt.id, r.Outcome, r.Missing, r.Detail, tt.want, tt.missing)
			}
			if tt.detail != "" && r.Detail != tt.detail {
				t.Errorf("%s on %s: detail %q, want %q", tt.src, tt.id, r.Detail, tt.detail)
			}
			checkLean(t, p, ix, nil, nil)
		})
	}
}

// TestYieldsBoolean checks that rules that cannot be true or false are
// refused when compiled (D6) and that messages name no Go type.
func TestYieldsBoolean(t *testing.T) {
	tests := []struct{ src, want string }{
		{"nil", "(1:1) rule must yield true or false, got nil"},
		{"coupon ?? nil", "(1:1) rule must yield true or false, got number"},
		{"secured ?? nil", "(1:1) rule must yield true or false, got nil"},
		{"coupon > 5 ? true : nil", "(1:1) rule must yield true or false, got nil"},
		{"bonds", "(1:1) rule must yield true or false, got list of bonds"},
		{"first(bonds)", "(1:1) rule must yield true or false, got bond"},
		{`any(bonds, .coupon + "a")`, "(1:20) invalid operation: + (mismatched types number and text)"},
		{"any(bonds, .secured > 1)", "(1:21) invalid operation: > (mismatched types boolean and number)"},
		{"maturity % 2 > 1", "(1:10) invalid operation: % (mismatched types date and number)"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.src, Env{})
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Errorf("Compile(%q) = %v, want a *CompileError", tt.src, err)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("Compile(%q) error\n got %s\nwant %s", tt.src, got, tt.want)
		}
	}
	for _, src := range []string{"secured", "bonds[0].secured", "any(bonds, .secured)", "coupon > 5 ? true : secured"} {
		mustCompile(t, src, Env{})
	}
}

// TestUtilityAlwaysDeclared checks U7: utility compiles on any feed and
// lacks data where the feed has no such benchmark.
func TestUtilityAlwaysDeclared(t *testing.T) {
	snap := qaSnapshot(false)
	ix := NewIndex(snap)
	for _, env := range []Env{{}, EnvFor(snap), NewEnv("treasury_10y")} {
		p := mustCompile(t, "coupon > utility + 400bp", env)
		r, err := p.EvalOne(ix, nil, "OMGA-6-2035")
		if err != nil {
			t.Fatal(err)
		}
		want := Result{
			Subject: SubjectBond, ID: "OMGA-6-2035", Ticker: "OMGA", Outcome: LacksData,
			Detail: "utility is unknown (no benchmark utility in the data)", Missing: "utility",
			Values: []Value{{Name: "coupon", Text: "6.00%", Num: 6, Known: true}, {Name: "utility", Text: "unknown"}},
		}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("EvalOne (-want +got):\n%s", diff)
		}
		checkLean(t, p, ix, nil, nil)
	}
	r, _ := mustCompile(t, "spread > 1", Env{}).EvalOne(ix, nil, "OMGA-6-2035")
	if r.Detail != "spread is unknown (no benchmark utility in the data)" {
		t.Errorf("spread detail = %q", r.Detail)
	}
	_, err := Compile("coupon > utilty", Env{})
	if err == nil || err.Error() != "(1:10) unknown name utilty; did you mean utility?" {
		t.Errorf("Compile(utilty) = %v", err)
	}
	_, err = Compile("coupon > treasury_10z", NewEnv("treasury_10y"))
	if err == nil || err.Error() != "(1:10) unknown name treasury_10z; did you mean treasury_10y?" {
		t.Errorf("Compile(treasury_10z) = %v", err)
	}
	if got := (Env{}).Benchmarks(); !cmp.Equal(got, []string{"utility"}) {
		t.Errorf("Env{}.Benchmarks() = %v", got)
	}
}

// TestExplainNegationAndMargin checks U4: negated clauses are shown as
// such, and "by" is the margin that keeps a clause true.
func TestExplainNegationAndMargin(t *testing.T) {
	snap := qaSnapshot(true)
	ix := NewIndex(snap)
	env := EnvFor(snap)
	tests := []struct{ src, id, want string }{
		{"not secured", "ZETA-11-2030", "not secured  ✓"},
		{"!secured", "ZETA-9-2029", "not secured  ✗"},
		{"coupon < 12%", "ZETA-11-2030", "coupon 11.00% < 12%  ✓ by +100 bp"},
		{"coupon <= 10%", "ZETA-11-2030", "coupon 11.00% <= 10%  ✗ by -100 bp"},
		{"coupon >= 12%", "ZETA-11-2030", "coupon 11.00% >= 12%  ✗ by -100 bp"},
		{"coupon > 10%", "ZETA-11-2030", "coupon 11.00% > 10%  ✓ by +100 bp"},
		{"not (coupon > 10%)", "ZETA-9-2029", "not (coupon 9.00% > 10%)  ✓ by +100 bp"},
		{"!(coupon < 10%)", "ZETA-9-2029", "not (coupon 9.00% < 10%)  ✗ by -100 bp"},
		{"!(coupon > 5 && secured)", "ZETA-11-2030", "not (coupon 11.00% > 5)  ✗ by -600 bp\n  not secured  ✓"},
		{"any(bonds, !.secured)", "OMGA", "any(bonds, !.secured)  ? unknown"},
	}
	for _, tt := range tests {
		e, err := mustCompile(t, tt.src, env).Explain(ix, nil, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		_, clauses, _ := strings.Cut(e.String(), "\n  ")
		if clauses != tt.want {
			t.Errorf("Explain(%q, %s) clauses\n got %s\nwant %s", tt.src, tt.id, clauses, tt.want)
		}
	}
}

// TestUserMessages checks that run-time failures are one line and name
// no Go type or runtime panic.
func TestUserMessages(t *testing.T) {
	snap := qaSnapshot(true)
	ix := NewIndex(snap)
	env := EnvFor(snap)
	for _, src := range []string{
		"any(bonds, !.secured)",
		"1 % (len(bonds) - 2) == 0",
		"operating_mw / 0 > 1",
		"0/0 > 1",
		"bonds[5].coupon == nil",
		`get({"a": nil}, "a")`,
		`!get({"a": nil}, "a")`,
		"int(ticker) > 0",
	} {
		p := mustCompile(t, src, env)
		for _, r := range p.Eval(ix, nil, nil) {
			if r.Outcome != Error {
				continue
			}
			for _, bad := range []string{"\n", "interface", "runtime error", "*bool", "float64", "<nil>", "__"} {
				if strings.Contains(r.Detail, bad) {
					t.Errorf("%s on %s: detail %q contains %q", src, r.ID, r.Detail, bad)
				}
			}
		}
	}
}

// TestBenchmarkMissingFromIndex checks a rule compiled for a benchmark
// that the evaluated snapshot does not have at all.
func TestBenchmarkMissingFromIndex(t *testing.T) {
	snap := qaSnapshot(true)
	snap.Benchmarks = snap.Benchmarks[:1] // utility only, known
	ix := NewIndex(snap)
	p := mustCompile(t, "moodys_baa > 5% || coupon > 10%", NewEnv("moodys_baa"))
	got := map[string]Decision{}
	for _, d := range p.Outcomes(ix, nil, nil, nil) {
		got[d.ID] = Decision{ID: d.ID, Outcome: d.Outcome, Missing: d.Missing}
	}
	want := map[string]Decision{
		"ZETA-11-2030": {ID: "ZETA-11-2030", Outcome: Match},
		"ZETA-9-2029":  {ID: "ZETA-9-2029", Outcome: LacksData, Missing: "moodys_baa"},
		"OMGA-6-2035":  {ID: "OMGA-6-2035", Outcome: LacksData, Missing: "moodys_baa"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Decision{})); diff != "" {
		t.Errorf("Outcomes (-want +got):\n%s", diff)
	}
	checkLean(t, p, ix, nil, nil)
}
