package rules

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Outcome is the result of a rule for one subject.
type Outcome string

// The outcomes of a rule for one subject.
const (
	// Match: the rule holds.
	Match Outcome = "match"
	// NoMatch: the rule does not hold.
	NoMatch Outcome = "no_match"
	// LacksData: a value the rule needs is unknown, so it can neither hold
	// nor fail. It never fires an alert.
	LacksData Outcome = "lacks_data"
	// Error: the rule failed at run time (for example an integer division
	// by zero, or it exceeded its budget).
	Error Outcome = "error"
)

// ErrNoSubject is returned by EvalOne and Explain when the snapshot has no
// bond, project or issuer with the given id.
var ErrNoSubject = errors.New("no such subject")

// Result is the outcome of a rule for one subject.
type Result struct {
	Subject Subject
	// ID is the bond id, project id, or ticker for issuer rules.
	ID      string
	Ticker  string
	Outcome Outcome
	// Detail says what is missing ("coupon is unknown"), what failed, or,
	// for a match or no match, the key values ("coupon 9.25%, utility 4.50%").
	Detail string
	// Missing is the variable lacking data, if any, such as "coupon" or
	// "offtakes[CRWV-META].mw".
	Missing string
	// Values are the variables the rule reads, formatted with units.
	Values []Value
}

// Value is one variable read by a rule, for display.
type Value struct {
	Name string
	// Text is the value with its unit ("9.25%", "+415 bp", "1,250 MW"), or
	// "unknown".
	Text string
	// Num is the value as a number when it is one (durations in days).
	Num   float64
	Known bool
}

// Eval evaluates p for every subject of its kind in ix, in feed order.
// scope, when non-nil, limits the evaluation to the tickers for which it
// returns true. h may be nil; history functions then lack data.
func (p *Program) Eval(ix *Index, h History, scope func(ticker string) bool) []Result {
	subs := ix.subjects[p.subject]
	ec := ix.getCtx()
	defer ix.putCtx(ec)
	out := make([]Result, 0, len(subs))
	vals := make([]Value, 0, len(subs)*len(p.vars))
	for i := range subs {
		s := &subs[i]
		if scope != nil && !scope(s.ticker) {
			continue
		}
		r := p.evalSubject(ec, ix, h, s, vals[len(vals):len(vals):cap(vals)])
		vals = vals[:len(vals)+len(r.Values)]
		out = append(out, r)
	}
	return out
}

// EvalOne evaluates p for one subject: a bond or project id, or a ticker
// for issuer rules. It returns an error wrapping ErrNoSubject when ix has
// no such subject.
func (p *Program) EvalOne(ix *Index, h History, id string) (Result, error) {
	s, err := p.find(ix, id)
	if err != nil {
		return Result{}, err
	}
	ec := ix.getCtx()
	defer ix.putCtx(ec)
	return p.evalSubject(ec, ix, h, s, nil), nil
}

func (p *Program) find(ix *Index, id string) (*subject, error) {
	s, ok := ix.lookup(p.subject, id)
	if !ok {
		return nil, fmt.Errorf("%s %q in the snapshot of %s: %w", p.subject, id, day0(ix.snap.AsOf), ErrNoSubject)
	}
	return s, nil
}

func day0(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// evalSubject evaluates p for s; vals is where to append the values.
func (p *Program) evalSubject(ec *evalCtx, ix *Index, h History, s *subject, vals []Value) Result {
	r := Result{Subject: p.subject, ID: s.id, Ticker: s.ticker}
	r.Outcome, r.Missing, r.Detail, _ = p.decide(ec, ix, h, s, true)
	r.Values = p.values(ix, s, vals)
	if r.Outcome == Match || r.Outcome == NoMatch {
		r.Detail = keyValues(r.Values)
	}
	return r
}

// decide runs the rule for s and returns its outcome; env is the
// environment the rule ran in (for explanations).
//
// When every value the rule needs is known, decide runs the main program
// once (twice when an element value it reads is unknown). Otherwise it
// runs the kleene program, where each part of the rule that reads an
// unknown value stands for __unk: once with __unk false and once true. If
// the two runs agree, the unknown values do not matter; if not, the
// instance lacks data, and missing names the first unknown value the rule
// reads: a variable, then a benchmark, then a history call, then a list
// element's field.
//
// When full is false, decide builds no detail (it returns ""), so that
// deciding allocates nothing beyond the VM's own work; the outcome and
// the missing variable are the same either way. env is a map of ec, valid
// only until ec is used again.
func (p *Program) decide(ec *evalCtx, ix *Index, h History, s *subject, full bool) (out Outcome, missing, detail string, env map[string]any) {
	unknownVars := s.unknown & p.main.needMask
	bench := ""
	if len(p.main.needBench) > 0 {
		bench = p.missingBench(ix)
	}
	kleene := unknownVars != 0 || bench != "" || s.huge && p.main.addSub
	env = ec.envFor(ix, s, p.load, p.loadAll)
	var hist histUnknown
	if len(p.hist) > 0 {
		var ok bool
		hist, out, detail, ok = p.historyEnv(ec.m, ix, h, s, full, env)
		if !ok {
			return out, "", detail, nil
		}
		kleene = kleene || hist.missing != ""
	}
	c := &p.main
	if kleene && p.kleene != nil {
		c = p.kleene
	}
	twice := kleene || s.elemUnknown&c.elemMask != 0
	var v any
	if c.wholeGuarded && (unknownVars != 0 || bench != "" || hist.missing != "") {
		out = LacksData
	} else {
		v, out, detail = run(c, ec.m, env, twice, s.elemUnknown&c.elemMask != 0, full)
	}
	switch out {
	case "":
	case LacksData:
		switch {
		case unknownVars != 0:
			i := bits.TrailingZeros64(unknownVars)
			missing = varDefs[i].name
			if full {
				detail = unknownText(s, i)
			}
		case bench != "":
			missing = bench
			if full {
				detail = bench + " is unknown"
				if why := ix.benchWhy[bench]; why != "" {
					detail += " (" + why + ")"
				}
			}
		case hist.missing != "":
			missing = hist.missing
			if full {
				detail = hist.detail
			}
		case s.elemUnknown&c.elemMask != 0:
			missing = s.elemMissing(bits.TrailingZeros64(s.elemUnknown & c.elemMask))
			if full {
				detail = missing + " is unknown"
			}
		default:
			if full {
				detail = "a value the rule needs is unknown"
			}
		}
		return LacksData, missing, detail, env
	default:
		return out, "", detail, env
	}
	switch v {
	case true:
		return Match, "", "", env
	case false:
		return NoMatch, "", "", env
	}
	if full {
		detail = "rule yielded no true or false value"
	}
	return Error, "", detail, env
}

// run evaluates c in env (where __unk is false) and, when twice is set,
// again with __unk true; if the two disagree the result depends on an
// unknown value. env is left with __unk false. It returns out == "" on
// success, LacksData when the result depends on an unknown value, or
// Error. When full is false it builds no detail.
//
// elemUnknown is set when an element field c reads is unknown: a failure
// of a builtin on nil (max of a list holding an unknown value) then means
// the instance lacks data.
func run(c *compiled, m *vm.VM, env map[string]any, twice, elemUnknown, full bool) (v any, out Outcome, detail string) {
	v, err := m.Run(c.prog, env)
	if err == nil && twice {
		var vb any
		env[unkVar] = true
		vb, err = m.Run(c.prog, env)
		env[unkVar] = false
		if err == nil && !sameValue(v, vb) {
			return nil, LacksData, ""
		}
	}
	if err != nil {
		if errors.Is(err, errUnknown) {
			return nil, LacksData, ""
		}
		if !elemUnknown && !full {
			return nil, Error, ""
		}
		if elemUnknown && strings.Contains(err.Error(), "<nil>") {
			// A builtin met an unknown value (max of a list with one).
			return nil, LacksData, ""
		}
		if !full {
			return nil, Error, ""
		}
		return nil, Error, runtimeMessage(err)
	}
	return v, "", ""
}

// sameValue compares results of the two runs of a rule.
func sameValue(a, b any) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// benchCheck caches, for one index, which benchmark a program needs that
// is unknown there ("" when none).
type benchCheck struct {
	ix      *Index
	missing string
}

// missingBench returns the first benchmark p needs that is unknown in ix.
// The answer is the same for every subject, so it is cached per index.
func (p *Program) missingBench(ix *Index) string {
	if c := p.benchOK.Load(); c != nil && c.ix == ix {
		return c.missing
	}
	c := &benchCheck{ix: ix}
	for _, b := range p.main.needBench {
		if !ix.bench[b].Known {
			c.missing = b
			break
		}
	}
	p.benchOK.Store(c)
	return c.missing
}

// runtimeMessage turns a VM error into one line for users.
func runtimeMessage(err error) string {
	var fe *file.Error
	msg := err.Error()
	if errors.As(err, &fe) {
		msg = fe.Message
	}
	msg = strings.TrimSpace(errorLine(msg))
	msg = strings.TrimPrefix(msg, "runtime error: ")
	switch {
	case strings.Contains(msg, "memory budget exceeded"):
		return fmt.Sprintf("rule exceeded its evaluation budget (%d units)", MemoryBudget)
	case strings.Contains(msg, "integer divide by zero"):
		return errDivZero.Error()
	case strings.Contains(msg, "integer overflow"):
		return errOverflow.Error()
	case strings.HasPrefix(msg, "interface conversion:") && strings.Contains(msg, " is nil"):
		return "a value the rule needs is unknown"
	case strings.HasPrefix(msg, "interface conversion:"), strings.HasPrefix(msg, "reflect"):
		return "a value has the wrong type for this operation"
	case msg == "":
		return "the rule failed"
	}
	return humanMessage(msg)
}

// unknownText explains why variable i of s is unknown.
func unknownText(s *subject, i int) string {
	t := varDefs[i].name + " is unknown"
	if why := s.whyOf(i); why != "" {
		t += " (" + why + ")"
	}
	return t
}

// values returns the formatted variables p reads for s, appended to dst.
func (p *Program) values(ix *Index, s *subject, dst []Value) []Value {
	if len(p.vars) == 0 {
		return nil
	}
	if dst == nil {
		dst = make([]Value, 0, len(p.vars))
	}
	for k, name := range p.vars {
		switch i := p.varIdx[k]; {
		case i >= 0:
			dst = append(dst, s.value(i))
		case i == -2:
			j, _ := lookupVar(name)
			dst = append(dst, s.value(j))
		default:
			v, ok := ix.bench[name]
			if !ok {
				v = Value{Name: name, Text: "unknown"}
			}
			dst = append(dst, v)
		}
	}
	return dst
}

// keyValues joins values as "coupon 9.25%, utility 4.50%".
func keyValues(vals []Value) string {
	n := 0
	for _, v := range vals {
		n += len(v.Name) + len(v.Text) + 3
	}
	var b strings.Builder
	b.Grow(n)
	for _, v := range vals {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.Name)
		b.WriteByte(' ')
		b.WriteString(v.Text)
	}
	return b.String()
}

// histUnknown is the first history call of a rule that could not be
// computed for a subject: missing names it ("prev", "change", …) and
// detail says why (only when full).
type histUnknown struct {
	missing, detail string
}

// historyEnv computes the hidden history variables for s and sets them in
// env, the environment of s; a call that cannot be computed (no old
// enough snapshot, an unknown value then) is nil there and reported in
// hist. ok is false when a call failed with an error; out and detail then
// say why (detail only when full).
func (p *Program) historyEnv(m *vm.VM, ix *Index, h History, s *subject, full bool, env map[string]any) (hist histUnknown, out Outcome, detail string, ok bool) {
	asOf := ix.snap.AsOf
	unknown := func(i int, d string) {
		env[p.hist[i].hidden] = nil
		if hist.missing == "" {
			hist = histUnknown{missing: p.hist[i].fn, detail: d}
		}
	}
	for i := range p.hist {
		hc := &p.hist[i]
		var old *Index
		var found bool
		switch hc.fn {
		case "change":
			if h != nil {
				old, found = h.AtOrBefore(asOf.Add(-hc.window))
			}
		default:
			if h != nil {
				old, found = h.Before(asOf)
			}
		}
		if !found || old == nil {
			d := ""
			if full {
				if hc.fn == "change" {
					d = fmt.Sprintf("no snapshot %s before %s", hc.windowText, day0(asOf))
				} else {
					d = "no snapshot before " + day0(asOf)
				}
			}
			unknown(i, d)
			continue
		}
		os, found := old.lookup(p.subject, s.id)
		if !found {
			d := ""
			if full {
				d = fmt.Sprintf("%s is not in the snapshot of %s", s.id, day0(old.snap.AsOf))
			}
			unknown(i, d)
			continue
		}
		v, o, miss, d := evalSub(&hc.sub, m, old, os, full)
		switch o {
		case "":
			env[hc.hidden] = v
		case LacksData:
			if full {
				d += " in the snapshot of " + day0(old.snap.AsOf)
			}
			if hist.missing == "" && miss != "" {
				hist = histUnknown{missing: miss, detail: d}
				env[hc.hidden] = nil
			} else {
				unknown(i, d)
			}
		default:
			return hist, o, d, false
		}
	}
	return hist, "", "", true
}

// evalSub evaluates a history sub-program for s in an older index ix, with
// m. When full is false it builds no detail.
func evalSub(c *compiled, m *vm.VM, ix *Index, s *subject, full bool) (any, Outcome, string, string) {
	if m := s.unknown & c.needMask; m != 0 {
		i := bits.TrailingZeros64(m)
		d := ""
		if full {
			d = unknownText(s, i)
		}
		return nil, LacksData, varDefs[i].name, d
	}
	for _, b := range c.needBench {
		if v := ix.benchEnv[b]; v == nil {
			d := ""
			if full {
				d = b + " is unknown"
			}
			return nil, LacksData, b, d
		}
	}
	unk := s.elemUnknown&c.elemMask != 0
	ec := ix.getCtx()
	v, out, detail := run(c, m, ec.envFor(ix, s, c.load, c.loadAll), unk, unk, full)
	ix.putCtx(ec)
	switch {
	case out == LacksData && s.elemUnknown&c.elemMask != 0:
		name := s.elemMissing(bits.TrailingZeros64(s.elemUnknown & c.elemMask))
		if full {
			detail = name + " is unknown"
		}
		return nil, out, name, detail
	case out != "":
		if full && detail == "" {
			detail = "a value the rule needs is unknown"
		}
		return nil, out, "", detail
	}
	if v == nil {
		d := ""
		if full {
			d = "the value is unknown"
		}
		return nil, LacksData, "", d
	}
	return v, "", "", ""
}
