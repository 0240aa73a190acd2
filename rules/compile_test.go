package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompileSubjectAndVars(t *testing.T) {
	env := NewEnv("utility", "treasury_10y")
	tests := []struct {
		src     string
		subject Subject
		vars    []string
	}{
		{"coupon > utility + 400bp", SubjectBond, []string{"coupon", "utility"}},
		{"spread > 450bp && secured == false", SubjectBond, []string{"spread", "secured"}},
		{"slip > 60d", SubjectProject, []string{"slip"}},
		{"mw_cut > 0 || slip > 90d", SubjectProject, []string{"mw_cut", "slip"}},
		{"pipeline_ratio > 2.5 && top_customer_share > 0.8", SubjectIssuer, []string{"pipeline_ratio", "top_customer_share"}},
		{"any(bonds, .coupon > utility + 400bp)", SubjectIssuer, []string{"bonds", "utility"}},
		{`any(offtakes, .counterparty_ticker == "CRWV") && max_coupon > 8%`, SubjectIssuer, []string{"offtakes", "max_coupon"}},
		{"treasury_10y > 4%", SubjectIssuer, []string{"treasury_10y"}},
		{"let x = coupon; x > 5", SubjectBond, []string{"coupon"}},
		{`change(spread, "30d") > 50bp`, SubjectBond, []string{"spread"}},
		{"prev(slip_days) < slip_days", SubjectProject, []string{"slip_days"}},
		{"coupon ?? 0 > 5", SubjectBond, []string{"coupon"}},
		{"true", SubjectIssuer, nil},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p := mustCompile(t, tt.src, env)
			if p.Subject() != tt.subject {
				t.Errorf("Subject() = %s, want %s", p.Subject(), tt.subject)
			}
			if diff := cmp.Diff(tt.vars, p.Vars()); diff != "" {
				t.Errorf("Vars() (-want +got):\n%s", diff)
			}
			if p.Source() != tt.src {
				t.Errorf("Source() = %q", p.Source())
			}
		})
	}
}

// TestCompileErrors checks the exact messages: they are shown to users.
func TestCompileErrors(t *testing.T) {
	env := NewEnv("utility")
	tests := []struct {
		name, src, want string
	}{
		{"did you mean", "coupon > 5 && cupon < 10", "(1:15) unknown name cupon; did you mean coupon?"},
		{"position after a unit literal", "coupon > 400bp && cupon < 10", "(1:19) unknown name cupon; did you mean coupon?"},
		{"position on line 2", "coupon > $1.2bn ||\n  utilty > 4%", "(2:3) unknown name utilty; did you mean utility?"},
		{"position after ?? parens", "coupon ?? 0 > 5 && yeild > 1", "(1:20) unknown name yeild; did you mean yield?"},
		{"no suggestion", "zzzzzz > 1", "(1:1) unknown name zzzzzz"},
		{"element field", "any(offtakes, .mww >= 150)", "(1:16) offtakes have no field mww; did you mean mw?"},
		{"not boolean", "coupon + 1", "(1:1) rule must yield true or false, got number"},
		{"not boolean duration", "slip", "(1:1) rule must yield true or false, got duration"},
		{"bond and project", "coupon > 8% && slip > 60d", "(1:16) rule reads bond variables (coupon) and project variables (slip); a rule can look at bonds or projects, not both"},
		{"disabled builtin", `repeat("a", 100) == "a"`, "(1:1) repeat is not available in rules"},
		{"string concatenation", `ticker + "x" == "CRWVx"`, "(1:8) strings cannot be joined with + in rules"},
		{"syntax", "coupon >", "(1:8) unexpected token EOF"},
		{"mismatched types", `coupon > "a"`, "(1:8) invalid operation: > (mismatched types number and text)"},
		{"change window", "change(coupon, coupon) > 1", "(1:1) the window of change must be a duration such as 30d or \"30d\", got number"},
		{"change window text", `change(coupon, "soon") > 1`, "(1:16) the window of change must be a duration such as 30d or \"30d\""},
		{"nested history", "prev(prev(coupon)) > 1", "(1:6) prev cannot be used inside another history function"},
		{"history in predicate", "any(bonds, prev(.coupon) > 1)", "(1:12) prev cannot be used inside a predicate such as any(…)"},
		{"empty", "  ", "(1:1) rule is empty"},
		{"too long", "coupon > 1" + strings.Repeat(" ", MaxSourceLen), "(1:1) rule is too long: 4106 bytes, at most 4096"},
		{"too many nodes", strings.Repeat("-", 1200) + "1 > 0", "(1:1203) compilation failed: expression exceeds maximum allowed nodes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.src, env)
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile(%q) = %v, want a *CompileError", tt.src, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Compile(%q) error\n got %s\nwant %s", tt.src, got, tt.want)
			}
			if ce.Source != tt.src {
				t.Errorf("Source = %q, want %q", ce.Source, tt.src)
			}
		})
	}
}

func TestCompileErrorSnippet(t *testing.T) {
	_, err := Compile("coupon > 400bp && cupon < 10", Env{})
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("Compile = %v, want a *CompileError", err)
	}
	want := "coupon > 400bp && cupon < 10\n                  ^"
	if got := ce.Snippet(); got != want {
		t.Errorf("Snippet() =\n%s\nwant\n%s", got, want)
	}
}

// TestOverBudget checks that rules that would take too much time or
// memory fail cleanly: at compile time, or with an error outcome.
func TestOverBudget(t *testing.T) {
	_, ix := sample(t)
	for _, src := range []string{
		"map(1..1000000, #) == []",
		"let r = 1..500; all(r, all(r, all(r, true)))",
		"all(bonds, all(bonds, all(bonds, all(bonds, all(bonds, all(bonds, all(bonds, all(bonds, all(bonds, all(bonds, all(1..100, true)))))))))))",
		"len(1..100000000) > 0",
		"sort(1..300000) != []",
	} {
		t.Run(src, func(t *testing.T) {
			p := mustCompile(t, src, Env{})
			r, err := p.EvalOne(ix, nil, "CRWV")
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != Error || !strings.Contains(r.Detail, "evaluation budget") {
				t.Errorf("%s = %s (%s), want error over budget", src, r.Outcome, r.Detail)
			}
		})
	}
	for _, src := range []string{
		strings.Repeat("(", 10000) + "1" + strings.Repeat(")", 10000) + " > 0",
		strings.Repeat("(", 2000) + "1" + strings.Repeat(")", 2000) + " > 0",
		strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + " != nil",
		strings.Repeat("!", 3000) + "true",
		strings.Repeat("a.", 2000) + "b",
	} {
		_, err := Compile(src, Env{})
		var ce *CompileError
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("Compile(%.20q…) = %v, want nil or a *CompileError", src, err)
		}
	}
}
