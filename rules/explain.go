package rules

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Explanation shows why a rule has its outcome for one subject: the result
// and each comparison of the rule with its two sides evaluated.
type Explanation struct {
	Result  Result
	Clauses []Clause
}

// Clause is one comparison of a rule, or one true-or-false term that is
// not a comparison (such as any(offtakes, .mw >= 150)), evaluated for a
// subject.
type Clause struct {
	// Text is the clause as written: "coupon > utility + 400bp".
	Text string
	// Left and Right are the sides as written with their values:
	// "coupon 9.25%", "utility + 400bp = 8.50%". Right and Op are empty
	// for a term that is not a comparison.
	Left, Right string
	Op          string
	// Holds reports whether the clause is true.
	Holds bool
	// Known is false when a side could not be evaluated (unknown data).
	Known bool
	// Negated is set when the clause is under a negation (!, not): Holds
	// then says whether the negation holds.
	Negated bool
	// Distance is the margin in the comparison's unit ("+75 bp"): how far
	// the clause is from flipping, positive when it holds and negative
	// when it fails. For > and >= it is left − right, for < and <= right −
	// left (reversed under a negation); for == and != left − right. Dates
	// differ in days. Empty for text and true-or-false values.
	Distance string
}

// String formats the clause on one line:
// "coupon 9.25% > utility + 400bp = 8.50%  ✓ by +75 bp".
//
// A negated clause is shown as "not secured  ✓" or
// "not (coupon 6.00% > 8%)  ✓ by +200 bp".
func (c Clause) String() string {
	var b strings.Builder
	switch {
	case c.Negated && c.Op != "":
		b.WriteString("not (" + c.Left + " " + c.Op + " " + c.Right + ")")
	case c.Negated:
		b.WriteString("not " + c.Left)
	case c.Op != "":
		b.WriteString(c.Left + " " + c.Op + " " + c.Right)
	default:
		b.WriteString(c.Left)
	}
	switch {
	case !c.Known:
		b.WriteString("  ? unknown")
	case c.Holds:
		b.WriteString("  ✓")
	default:
		b.WriteString("  ✗")
	}
	if c.Known && c.Distance != "" {
		b.WriteString(" by " + c.Distance)
	}
	return b.String()
}

// String formats the explanation: a line with the subject and outcome,
// then one indented line per clause.
func (e *Explanation) String() string {
	var b strings.Builder
	r := e.Result
	b.WriteString(r.ID)
	if r.ID != r.Ticker && r.Ticker != "" {
		b.WriteString(" (" + r.Ticker + ")")
	}
	b.WriteString(": " + string(r.Outcome))
	if r.Detail != "" {
		b.WriteString(" — " + r.Detail)
	}
	for _, c := range e.Clauses {
		b.WriteString("\n  " + c.String())
	}
	return b.String()
}

// Explain evaluates p for one subject (a bond or project id, or a ticker)
// and explains each comparison. It returns an error wrapping ErrNoSubject
// when ix has no such subject.
func (p *Program) Explain(ix *Index, h History, id string) (*Explanation, error) {
	s, err := p.find(ix, id)
	if err != nil {
		return nil, err
	}
	ec := ix.getCtx()
	defer ix.putCtx(ec)
	res := p.evalSubject(ec, ix, h, s, nil)
	_, _, _, env := p.decide(ec, ix, h, s, true)
	switch {
	case env == nil:
		// A history call failed: the sides are evaluated without the
		// history values.
		env = ix.subjectEnv(s)
	case !p.loadAll:
		// The sides read no more than the rule, but load every variable
		// of s all the same.
		env = ec.load(s, allVarMask)
	}
	m := ec.m
	f, cerr := compileFront(p.source, p.env)
	if cerr != nil {
		// The program compiled from this very text; this cannot happen.
		return nil, fmt.Errorf("explain %q: %w", p.source, cerr)
	}
	e := &Explanation{Result: res}
	// Sides are evaluated on their own; they get the same bound on work.
	ast.Walk(&f.tree.Node, tickPatcher{})
	x := &explainer{f: f, m: m, env: env}
	x.walk(f.tree.Node, false)
	e.Clauses = x.clauses
	return e, nil
}

// explainer collects the clauses of a rule.
type explainer struct {
	f       *front
	m       *vm.VM
	env     map[string]any
	clauses []Clause
}

// walk explains the clauses of n; neg is set under an odd number of
// negations (!, not), so that each clause is shown as it counts.
func (x *explainer) walk(n ast.Node, neg bool) {
	if _, ok := x.f.histNodes[n]; ok {
		x.leaf(n, neg)
		return
	}
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "||", "and", "or":
			x.walk(n.Left, neg)
			x.walk(n.Right, neg)
			return
		case "<", ">", "<=", ">=", "==", "!=":
			x.compare(n, neg)
			return
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			x.walk(n.Node, !neg)
			return
		}
	case *ast.ConditionalNode:
		x.walk(n.Cond, false)
		x.walk(n.Exp1, neg)
		x.walk(n.Exp2, neg)
		return
	case *ast.SequenceNode:
		x.walk(n.Nodes[len(n.Nodes)-1], neg)
		return
	case *ast.VariableDeclaratorNode:
		x.walk(n.Expr, neg)
		return
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == boolFunc {
			x.leaf(n, neg)
			return
		}
	case *ast.BoolNode, *ast.ConstantNode:
		return
	}
	if t := n.Type(); t != nil && (t.Kind() == reflect.Bool || t.Kind() == reflect.Interface) {
		x.leaf(n, neg)
	}
}

// eval evaluates a sub-expression of the rule; ok is false when it could
// not be (unknown data, run-time error).
func (x *explainer) eval(n ast.Node) (v any, ok bool) {
	tree := &parser.Tree{Node: n, Source: file.NewSource(x.f.rw.text)}
	if _, err := checker.Check(tree, x.f.cfg); err != nil {
		return nil, false
	}
	prog, err := compiler.Compile(tree, x.f.cfg)
	if err != nil {
		return nil, false
	}
	v, err = x.m.Run(prog, x.env)
	if err != nil {
		return nil, false
	}
	v = derefValue(v)
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		// A division by zero or an overflow: the rule's outcome is an
		// error, and the side has no value to show.
		return nil, false
	}
	return v, v != nil
}

// leaf explains a true-or-false term that is not a comparison.
func (x *explainer) leaf(n ast.Node, neg bool) {
	text := x.f.origText(n)
	v, ok := x.eval(n)
	b, isBool := v.(bool)
	x.clauses = append(x.clauses, Clause{Text: text, Left: text, Holds: b != neg, Known: ok && isBool, Negated: neg})
}

// compare explains a comparison.
func (x *explainer) compare(n *ast.BinaryNode, neg bool) {
	f := x.f
	c := Clause{Text: f.origText(n), Op: n.Operator, Negated: neg}
	dl, dr := f.dimOf(n.Left), f.dimOf(n.Right)
	d := dl
	if d == dimNone {
		d = dr
	}
	lv, lok := x.eval(n.Left)
	rv, rok := x.eval(n.Right)
	c.Left = x.side(n.Left, lv, lok, dl, d)
	c.Right = x.side(n.Right, rv, rok, dr, d)
	c.Known = lok && rok
	if c.Known {
		h, err := nullableCompare(n.Operator, lv, rv, false)
		hb, isBool := h.(bool)
		if err != nil || !isBool {
			c.Known = false
		}
		c.Holds = hb != neg
		c.Distance = margin(n.Operator, lv, rv, d, neg)
	}
	x.clauses = append(x.clauses, c)
}

// side formats one side of a comparison: "coupon 9.25%" for a variable,
// "8%" for a literal, "utility + 400bp = 8.50%" for anything else.
func (x *explainer) side(n ast.Node, v any, ok bool, own, cmp dim) string {
	text := x.f.origText(n)
	d := own
	if d == dimNone {
		d = cmp
	}
	val := "unknown"
	if ok {
		val = formatValue(d, v)
	}
	switch n.(type) {
	case *ast.IdentifierNode:
		if _, hist := x.f.histNodes[n]; hist {
			return text + " = " + val
		}
		return text + " " + val
	case *ast.ConstantNode, *ast.IntegerNode, *ast.FloatNode, *ast.StringNode, *ast.BoolNode, *ast.NilNode:
		return text
	}
	return text + " = " + val
}

// margin returns how far a comparison is from flipping, in unit d: for
// > and >= left − right, for < and <= right − left, so that it is
// positive when the comparison holds and negative when it fails (the
// other way round when neg is set). For == and != it is left − right.
// It is "" when the values are not numbers, durations or dates.
func margin(op string, l, r any, d dim, neg bool) string {
	if op == "<" || op == "<=" {
		l, r = r, l
	}
	if neg && op != "==" && op != "!=" {
		l, r = r, l
	}
	return distance(l, r, d)
}

// distance returns left − right in unit d, or "" when the values are not
// numbers, durations or dates.
func distance(l, r any, d dim) string {
	if lt, ok := l.(time.Time); ok {
		if rt, ok := r.(time.Time); ok {
			return formatDiff(dimDays, lt.Sub(rt).Hours()/24)
		}
		return ""
	}
	lf, lok := toFloat(l)
	rf, rok := toFloat(r)
	if !lok || !rok {
		return ""
	}
	if _, isDur := l.(time.Duration); isDur {
		d = dimDays
	}
	if d == dimRate {
		d = dimSpread
	}
	return formatDiff(d, lf-rf)
}

// dimOf infers the unit of an expression from its variables, unit
// literals and operators: a rate minus a rate is a spread, a rate plus a
// spread is a rate.
func (f *front) dimOf(n ast.Node) dim {
	if spec, ok := f.histNodes[n]; ok {
		switch spec.fn {
		case "change":
			if spec.dim == dimRate {
				return dimSpread
			}
			return spec.dim
		case "prev":
			return spec.dim
		}
		return dimBool
	}
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if i, ok := lookupVar(n.Value); ok {
			return varDefs[i].dim
		}
		if f.env.hasBench(n.Value) {
			return dimRate
		}
	case *ast.ConstantNode:
		if d, ok := f.units.dims[n]; ok {
			return d
		}
		switch n.Value.(type) {
		case time.Duration:
			return dimDuration
		case bool:
			return dimBool
		case string:
			return dimString
		}
	case *ast.StringNode:
		return dimString
	case *ast.BoolNode:
		return dimBool
	case *ast.MemberNode:
		if p, ok := n.Property.(*ast.StringNode); ok {
			if d, ok := elemDims[p.Value]; ok {
				return d
			}
		}
	case *ast.UnaryNode:
		if n.Operator == "-" || n.Operator == "+" {
			return f.dimOf(n.Node)
		}
	case *ast.ConditionalNode:
		return f.dimOf(n.Exp1)
	case *ast.BuiltinNode:
		switch n.Name {
		case "abs", "max", "min", "sum", "mean", "median", "ceil", "floor", "round", "first", "last":
			if len(n.Arguments) > 0 {
				return f.dimOf(n.Arguments[0])
			}
		}
	case *ast.BinaryNode:
		l, r := f.dimOf(n.Left), f.dimOf(n.Right)
		switch n.Operator {
		case "??":
			return l
		case "+", "-":
			switch {
			case l == dimRate && r == dimRate:
				if n.Operator == "-" {
					return dimSpread
				}
				return dimRate
			case l == dimRate && r == dimSpread, l == dimSpread && r == dimRate:
				return dimRate
			case l == dimDate && r == dimDate:
				return dimDuration
			case l == dimNone:
				return r
			case r == dimNone, l == r:
				return l
			}
		case "*":
			if l == dimNone {
				return r
			}
			if r == dimNone {
				return l
			}
		case "/":
			if r == dimNone {
				return l
			}
			if l == r {
				return dimRatio
			}
		}
	}
	return dimNone
}
