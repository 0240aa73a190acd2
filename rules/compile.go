package rules

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Limits on the size and cost of a rule.
const (
	// MaxSourceLen is the longest rule text accepted, in bytes.
	MaxSourceLen = 4096
	// MaxNodes is the largest rule accepted, in syntax-tree nodes.
	MaxNodes = 1000
	// MemoryBudget bounds what one evaluation of a rule may allocate and
	// iterate, in expr's units (about one per array element created or
	// predicate step taken). Past it the instance is in the error state.
	MemoryBudget = 250_000
)

// CompileError is a mistake in a rule's text, with its position in the
// original text (1-based line and column, counted in characters).
type CompileError struct {
	Msg    string
	Line   int
	Column int
	// Source is the rule text the position refers to.
	Source string

	offset int // rune offset into Source
}

// Error returns the message on one line, prefixed with the position:
// "(1:9) unknown name cupon; did you mean coupon?".
func (e *CompileError) Error() string {
	return fmt.Sprintf("(%d:%d) %s", e.Line, e.Column, e.Msg)
}

// Snippet returns the line of the rule the error is on, and under it a
// caret at the error's column. It is "" when the rule is empty.
func (e *CompileError) Snippet() string {
	lines := strings.Split(e.Source, "\n")
	if e.Line < 1 || e.Line > len(lines) {
		return ""
	}
	line := strings.ReplaceAll(lines[e.Line-1], "\t", " ")
	if line == "" {
		return ""
	}
	col := max(e.Column-1, 0)
	return line + "\n" + strings.Repeat(" ", col) + "^"
}

// locate sets Line and Column from the rune offset.
func (e *CompileError) locate(src string) *CompileError {
	e.Source = src
	e.Line, e.Column = 1, 1
	i := 0
	for _, r := range src {
		if i >= e.offset {
			break
		}
		if r == '\n' {
			e.Line++
			e.Column = 1
		} else {
			e.Column++
		}
		i++
	}
	return e
}

// Program is a compiled rule. It is immutable and safe for concurrent use.
type Program struct {
	source  string
	env     Env
	subject Subject
	vars    []string
	// varIdx[i] is the varDefs index of vars[i], or -1 for a benchmark
	// and -2 for a list (shown as a count).
	varIdx []int
	// main runs when every value the rule needs is known; kleene, when
	// one may not be (nil when the rule reads nothing that can be).
	main   compiled
	kleene *compiled
	hist   []histCall
	// load has the bits of the variables main or kleene read; loadAll is
	// set when one reads $env (see evalCtx.envFor).
	load    uint64
	loadAll bool
	// benchOK caches missingBench for the last index seen.
	benchOK atomic.Pointer[benchCheck]
}

// compiled is one expr program with what it needs to be known.
type compiled struct {
	prog *vm.Program
	// needMask has bit i set when varDefs[i] must be known.
	needMask uint64
	// needBench are the benchmarks that must be known.
	needBench []string
	// elemMask has bit i set when elemFields[i] is read.
	elemMask uint64
	// addSub is set when the rule adds or subtracts numbers natively
	// (subjects with huge values then run the kleene program).
	addSub bool
	// wholeGuarded is set in a kleene program whose whole rule is one
	// guarded part (coupon > utility + 400bp): an unknown variable,
	// benchmark or history value then makes the instance lack data.
	wholeGuarded bool
	// load has bit i set when the program reads varDefs[i]; loadAll is
	// set when it reads $env (the whole environment).
	load    uint64
	loadAll bool
}

// histCall is one prev/change/crossed_* call, replaced in the main program
// by a hidden variable computed from an older snapshot.
type histCall struct {
	hidden     string
	fn         string
	window     time.Duration
	windowText string
	sub        compiled
}

// Source returns the rule text as written.
func (p *Program) Source() string { return p.source }

// Subject returns what the rule is evaluated for.
func (p *Program) Subject() Subject { return p.subject }

// Vars returns the variables the rule reads, in order of first use.
func (p *Program) Vars() []string { return slices.Clone(p.vars) }

// Compile type-checks a rule against env and compiles it. Mistakes in the
// rule are reported as a *CompileError. It never panics: a bug reached by
// some rule text is returned as an error wrapping [ErrInternal].
func Compile(src string, env Env) (p *Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%w: compile %q: %v", ErrInternal, truncate(src, 80), r)
		}
	}()
	return compile(src, env)
}

// ErrInternal marks a failure that is a bug in spreadwatch rather than a
// mistake in the rule.
var ErrInternal = errors.New("internal error")

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func compile(src string, env Env) (*Program, error) {
	f, cerr := compileFront(src, env)
	if cerr != nil {
		return nil, cerr
	}
	p := &Program{source: src, env: env, subject: f.subject, vars: f.vars}
	for _, name := range f.vars {
		switch i, ok := lookupVar(name); {
		case ok && varDefs[i].dim == dimList:
			p.varIdx = append(p.varIdx, -2)
		case ok:
			p.varIdx = append(p.varIdx, i)
		default:
			p.varIdx = append(p.varIdx, -1)
		}
	}
	main, cerr := f.back(f.tree, false)
	if cerr != nil {
		return nil, cerr
	}
	p.main = main
	if main.needMask != 0 || len(main.needBench) > 0 || len(f.hist) > 0 || main.addSub {
		// The tree was patched for the main program; the program for
		// subjects with unknown values starts from a fresh one.
		fk, cerr := compileFront(src, env)
		if cerr != nil {
			return nil, cerr
		}
		k, cerr := fk.back(fk.tree, true)
		if cerr != nil {
			return nil, cerr
		}
		p.kleene = &k
	}
	p.load, p.loadAll = p.main.load, p.main.loadAll
	if p.kleene != nil {
		p.load |= p.kleene.load
		p.loadAll = p.loadAll || p.kleene.loadAll
	}
	for _, h := range f.hist {
		sub, cerr := f.compileSub(h.subSrc, h.subFrom)
		if cerr != nil {
			return nil, cerr
		}
		p.hist = append(p.hist, histCall{hidden: h.hidden, fn: h.fn, window: h.window, windowText: h.windowText, sub: sub})
	}
	return p, nil
}

// front is a parsed and type-checked rule, with history calls replaced.
type front struct {
	src     string
	env     Env
	rw      *rewrite
	cfg     *conf.Config
	tree    *parser.Tree
	subject Subject
	vars    []string
	hist    []*histSpec
	// hidden holds the types of the hidden history variables.
	hidden map[string]any
	// units records the unit literals' constant nodes.
	units *unitPatcher
	// override gives the text span of nodes that replaced history calls.
	override map[ast.Node][2]int
	// histNodes maps the node that replaced a history call to its spec.
	histNodes map[ast.Node]*histSpec
}

// histSpec is a history call found in a rule.
type histSpec struct {
	hidden     string
	fn         string
	window     time.Duration
	windowText string
	subSrc     string // rewritten text of the expression read in the past
	subFrom    int    // where subSrc starts in the rewritten text
	dim        dim    // unit of the value read in the past
	text       string // the call as written
}

// compileFront parses, patches units, type-checks and analyses src.
func compileFront(src string, env Env) (*front, *CompileError) {
	if len(src) > MaxSourceLen {
		return nil, (&CompileError{Msg: fmt.Sprintf("rule is too long: %d bytes, at most %d", len(src), MaxSourceLen)}).locate(src)
	}
	if !utf8.ValidString(src) {
		return nil, (&CompileError{Msg: "rule is not valid UTF-8"}).locate(src)
	}
	if strings.TrimSpace(src) == "" {
		return nil, (&CompileError{Msg: "rule is empty"}).locate(src)
	}
	rw, cerr := prepare(src)
	if cerr != nil {
		return nil, cerr.locate(src)
	}
	f := &front{src: src, env: env, rw: rw, override: map[ast.Node][2]int{}, histNodes: map[ast.Node]*histSpec{}}
	f.units = &unitPatcher{consts: rw.consts, dims: map[ast.Node]dim{}}
	f.cfg = newConfig(env, nil, f.units)
	tree, err := parser.ParseWithConfig(rw.text, f.cfg)
	if err != nil {
		return nil, f.exprError(err, 0)
	}
	f.tree = tree
	typ, err := new(checker.Checker).PatchAndCheck(tree, f.cfg)
	if err != nil {
		return nil, f.exprError(err, 0)
	}
	if isBoolPointer(typ) {
		wrapBool(&tree.Node)
		if typ, err = checker.Check(tree, f.cfg); err != nil {
			return nil, f.exprError(err, 0)
		}
	}
	if got := notBoolean(tree.Node, typ); got != "" {
		return nil, f.errorAt(0, "rule must yield true or false, got "+got)
	}
	if cerr := f.analyse(); cerr != nil {
		return nil, cerr
	}
	if len(f.hist) > 0 {
		f.cfg = newConfig(env, f.hidden, f.units)
		if _, err := checker.Check(tree, f.cfg); err != nil {
			return nil, f.exprError(err, 0)
		}
	}
	return f, nil
}

// typeName names a Go type the way a rule author thinks of it.
func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t == reflect.TypeFor[time.Time]():
		return "date"
	case t.Kind() == reflect.Slice:
		if l := listOfElem(t.Elem()); l != "" {
			return "list of " + l
		}
	case t.Kind() == reflect.Struct:
		if l := listOfElem(t); l != "" {
			return strings.TrimSuffix(l, "s")
		}
	}
	return humanTypes(t.String())
}

// humanMessage rewrites a message of expr for rule authors: element and
// Go type names become words, internal helpers their operators.
func humanMessage(msg string) string {
	for _, l := range elemLists {
		for _, ptr := range []string{"[]*", "[]", "*", ""} {
			name := strings.TrimSuffix(l.name, "s")
			if strings.HasPrefix(ptr, "[]") {
				name = "list of " + l.name
			}
			msg = strings.ReplaceAll(msg, ptr+l.typ.String(), name)
		}
	}
	for name, op := range arithOps {
		msg = strings.ReplaceAll(msg, name, op)
	}
	msg = strings.ReplaceAll(msg, "<nil>", "nil")
	return humanTypes(msg)
}

// goTypes finds Go type names in messages of expr: "float64", "*bool",
// "[]interface {}", "map[string]interface {}", "time.Time".
var goTypes = regexp.MustCompile(`(\*|\[\]|map\[string\])*(interface \{\}|time\.Time|time\.Duration|float64|float32|u?int(8|16|32|64)?|bool|string)\b(\()?`)

// humanTypes replaces Go type names in a message by the words rule
// authors use: number, text, boolean, date, duration, list, map, value.
func humanTypes(msg string) string {
	return goTypes.ReplaceAllStringFunc(msg, func(t string) string {
		if strings.HasSuffix(t, "(") {
			return t // a function such as int(…)
		}
		prefix := ""
		switch {
		case strings.HasPrefix(t, "[]"):
			prefix = "list of "
		case strings.HasPrefix(t, "map[string]"):
			prefix = "map of "
		}
		base := strings.TrimLeft(t, "*[]")
		base = strings.TrimPrefix(base, "map[string]")
		base = strings.TrimLeft(base, "*")
		var w string
		switch base {
		case "interface {}":
			w = "value"
			if prefix != "" {
				w = "values"
			}
		case "time.Time":
			w = "date"
		case "time.Duration":
			w = "duration"
		case "bool":
			w = "boolean"
		case "string":
			w = "text"
		default:
			w = "number"
		}
		if prefix == "" && base == "interface {}" {
			return "any value"
		}
		return prefix + w
	})
}

// newConfig returns the expr configuration rules are compiled with.
func newConfig(env Env, hidden map[string]any, units *unitPatcher) *conf.Config {
	cfg := conf.CreateNew()
	cfg.WithEnv(env.typeEnv(hidden))
	cfg.MaxNodes = MaxNodes
	for name := range cfg.Builtins {
		if !allowedBuiltins[name] {
			cfg.Disabled[name] = true
			delete(cfg.Builtins, name)
		}
	}
	for _, f := range ruleFunctions() {
		cfg.Functions[f.Name] = f
	}
	cfg.Visitors = append(cfg.Visitors, units, frontPatcher{})
	return cfg
}

// notBoolean returns what a rule of type typ yields when it cannot be true
// or false ("number", "nil", "number or nil"), or "" when it can.
func notBoolean(n ast.Node, typ reflect.Type) string {
	var kinds []string
	var walk func(n ast.Node, t reflect.Type)
	add := func(k string) {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	walk = func(n ast.Node, t reflect.Type) {
		switch x := n.(type) {
		case *ast.NilNode:
			add("nil")
			return
		case *ast.BinaryNode:
			if x.Operator == "??" {
				walk(x.Left, x.Left.Type())
				walk(x.Right, x.Right.Type())
				return
			}
		case *ast.ConditionalNode:
			walk(x.Exp1, x.Exp1.Type())
			walk(x.Exp2, x.Exp2.Type())
			return
		}
		switch {
		case t == nil:
			add("nil")
		case t.Kind() == reflect.Bool, t.Kind() == reflect.Interface, isBoolPointer(t):
		default:
			add(typeName(t))
		}
	}
	if typ != nil && typ.Kind() != reflect.Bool && typ.Kind() != reflect.Interface {
		return typeName(typ)
	}
	walk(n, typ)
	return strings.Join(kinds, " or ")
}

func isBoolPointer(t reflect.Type) bool {
	return t != nil && t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Bool
}

// frontPatcher adapts expr to the rule language before type checking:
// % of numbers becomes the checked helper (expr's % takes integers only),
// and a true-or-false element field that may be unknown (.secured), where
// a true-or-false value is expected, becomes __bool(.secured).
type frontPatcher struct{}

// Visit implements ast.Visitor.
func (frontPatcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "%":
			if numberOrUnknown(n.Left.Type()) && numberOrUnknown(n.Right.Type()) {
				ast.Patch(node, arithCall("%", n.Left, n.Right, n))
			}
		case "&&", "||", "and", "or":
			wrapBool(&n.Left)
			wrapBool(&n.Right)
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			wrapBool(&n.Node)
		}
	case *ast.ConditionalNode:
		wrapBool(&n.Cond)
	case *ast.BuiltinNode:
		if len(n.Arguments) == 2 {
			if pr, ok := n.Arguments[1].(*ast.PredicateNode); ok && boolPredicate[n.Name] {
				wrapBool(&pr.Node)
			}
		}
	}
}

// boolPredicate are the builtins whose predicate is true or false.
var boolPredicate = map[string]bool{
	"all": true, "none": true, "any": true, "one": true, "filter": true, "find": true,
	"findIndex": true, "findLast": true, "findLastIndex": true, "count": true,
}

// wrapBool replaces a node of type *bool by __bool(node).
func wrapBool(np *ast.Node) {
	n := *np
	if n == nil || !isBoolPointer(n.Type()) {
		return
	}
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: boolFunc}, Arguments: []ast.Node{n}}
	call.Callee.SetLocation(n.Location())
	call.SetLocation(n.Location())
	*np = call
}

func numberOrUnknown(t reflect.Type) bool {
	return t == nil || t.Kind() == reflect.Interface || isNumeric(t)
}

// unitPatcher replaces the placeholders of unit literals by constants,
// and remembers each constant's unit.
type unitPatcher struct {
	consts map[string]unitConst
	dims   map[ast.Node]dim
}

// Visit implements ast.Visitor.
func (u *unitPatcher) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok || !strings.HasPrefix(id.Value, placeholderPrefix) {
		return
	}
	if c, ok := u.consts[id.Value]; ok {
		n := &ast.ConstantNode{Value: c.value}
		ast.Patch(node, n)
		u.dims[n] = c.unit.dim
	}
}

// errorAt returns a CompileError at a rune offset of the rewritten text.
func (f *front) errorAt(rwOffset int, msg string) *CompileError {
	return (&CompileError{Msg: msg, offset: f.rw.origOffset(rwOffset)}).locate(f.src)
}

// exprError converts an error of expr's parser or checker, at base in the
// rewritten text, to a CompileError on the original text.
func (f *front) exprError(err error, base int) *CompileError {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return f.errorAt(0, err.Error())
	}
	return f.errorAt(base+fe.From, f.improve(fe.Message))
}

// improve rewrites expr's messages for rule authors: it adds "did you
// mean" suggestions and names units and element types as written.
func (f *front) improve(msg string) string {
	msg, _, _ = strings.Cut(msg, "\n")
	for name, c := range f.rw.consts {
		msg = strings.ReplaceAll(msg, name, c.text)
	}
	msg = humanMessage(msg)
	switch {
	case strings.HasPrefix(msg, "unknown name "):
		name := strings.TrimPrefix(msg, "unknown name ")
		if disabledBuiltins[name] {
			return fmt.Sprintf("%s is not available in rules", name)
		}
		if s := suggest(name, f.knownNames()); s != "" {
			msg += "; did you mean " + s + "?"
		}
	case strings.HasPrefix(msg, "unknown func "):
		name := strings.TrimPrefix(msg, "unknown func ")
		if disabledBuiltins[name] {
			return fmt.Sprintf("%s is not available in rules", name)
		}
		if s := suggest(name, f.knownFuncs()); s != "" {
			msg += "; did you mean " + s + "?"
		}
	case strings.Contains(msg, " has no field "):
		// "type offtake has no field mwx"
		head, field, _ := strings.Cut(msg, " has no field ")
		elem := strings.TrimPrefix(head, "type ")
		for _, l := range elemLists {
			if strings.TrimSuffix(l.name, "s") == elem {
				msg = fmt.Sprintf("%s have no field %s", l.name, field)
				if s := suggest(field, elemFieldNames(l.typ)); s != "" {
					msg += "; did you mean " + s + "?"
				}
			}
		}
	}
	return msg
}

// knownNames are the names a rule may use as variables or functions.
func (f *front) knownNames() []string {
	var names []string
	for _, d := range varDefs {
		names = append(names, d.name)
	}
	names = append(names, f.env.benchNames()...)
	return append(names, f.knownFuncs()...)
}

func (f *front) knownFuncs() []string {
	var names []string
	for n := range allowedBuiltins {
		names = append(names, n)
	}
	for n := range historyFuncs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// suggest returns the known name closest to name, if close enough.
func suggest(name string, known []string) string {
	best, bestD := "", 0
	limit := max(2, len(name)/3)
	for _, k := range known {
		if strings.HasPrefix(k, "__") {
			continue
		}
		d := levenshtein(strings.ToLower(name), strings.ToLower(k))
		if d <= limit && (best == "" || d < bestD || d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

// levenshtein returns the edit distance between a and b, counting a
// swap of two neighbouring letters as one edit (yeild → yield).
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// children returns pointers to the child nodes of n.
func children(n ast.Node) []*ast.Node {
	switch n := n.(type) {
	case *ast.UnaryNode:
		return []*ast.Node{&n.Node}
	case *ast.BinaryNode:
		return []*ast.Node{&n.Left, &n.Right}
	case *ast.ChainNode:
		return []*ast.Node{&n.Node}
	case *ast.MemberNode:
		return []*ast.Node{&n.Node, &n.Property}
	case *ast.SliceNode:
		c := []*ast.Node{&n.Node}
		if n.From != nil {
			c = append(c, &n.From)
		}
		if n.To != nil {
			c = append(c, &n.To)
		}
		return c
	case *ast.CallNode:
		c := []*ast.Node{&n.Callee}
		for i := range n.Arguments {
			c = append(c, &n.Arguments[i])
		}
		return c
	case *ast.BuiltinNode:
		var c []*ast.Node
		for i := range n.Arguments {
			c = append(c, &n.Arguments[i])
		}
		return c
	case *ast.PredicateNode:
		return []*ast.Node{&n.Node}
	case *ast.VariableDeclaratorNode:
		return []*ast.Node{&n.Value, &n.Expr}
	case *ast.SequenceNode:
		var c []*ast.Node
		for i := range n.Nodes {
			c = append(c, &n.Nodes[i])
		}
		return c
	case *ast.ConditionalNode:
		return []*ast.Node{&n.Cond, &n.Exp1, &n.Exp2}
	case *ast.ArrayNode:
		var c []*ast.Node
		for i := range n.Nodes {
			c = append(c, &n.Nodes[i])
		}
		return c
	case *ast.MapNode:
		var c []*ast.Node
		for i := range n.Pairs {
			c = append(c, &n.Pairs[i])
		}
		return c
	case *ast.PairNode:
		return []*ast.Node{&n.Key, &n.Value}
	}
	return nil
}

// span returns the rune offsets [from, to) of the rewritten text covered
// by n and its descendants.
func (f *front) span(n ast.Node) (int, int) {
	if o, ok := f.override[n]; ok {
		return o[0], o[1]
	}
	loc := n.Location()
	from, to := loc.From, loc.To
	for _, c := range children(n) {
		if *c == nil {
			continue
		}
		cf, ct := f.span(*c)
		from, to = min(from, cf), max(to, ct)
	}
	return from, to
}

// balancedSpan widens a span so that the brackets it opens are closed
// (a call's span ends before its closing parenthesis).
func balancedSpan(text []rune, from, to int) (int, int) {
	toks, _ := scan(text)
	depth := 0
	for _, t := range toks {
		if t.from < from || t.from >= to {
			continue
		}
		switch t.kind {
		case tkOpen:
			depth++
		case tkClose:
			depth--
		}
	}
	for _, t := range toks {
		if depth <= 0 {
			break
		}
		if t.from >= to && t.kind == tkClose {
			to = t.to
			depth--
		} else if t.from >= to {
			break
		}
	}
	// A leading unmatched closer cannot happen; strip unmatched openers at
	// the end is not needed either.
	return from, to
}

// nodeText returns the rewritten text of n.
func (f *front) nodeText(n ast.Node) (string, int) {
	text := []rune(f.rw.text)
	from, to := f.span(n)
	from, to = balancedSpan(text, from, min(to, len(text)))
	return string(text[from:to]), from
}

// origText returns the original text of n, as the author wrote it.
func (f *front) origText(n ast.Node) string {
	text := []rune(f.rw.text)
	from, to := f.span(n)
	from, to = balancedSpan(text, from, min(to, len(text)))
	of, ot := f.rw.origSpan(from, to)
	return strings.TrimSpace(string(f.rw.orig[of:ot]))
}

// analysis state while walking a rule.
type walker struct {
	f        *front
	letNames map[string]bool
	seen     map[string]bool
	bondVar  string
	projVar  string
	bondAt   int
	projAt   int
	err      *CompileError
}

// analyse finds the variables read, the subject and the history calls,
// and rejects what rules may not do.
func (f *front) analyse() *CompileError {
	w := &walker{f: f, letNames: map[string]bool{}, seen: map[string]bool{}}
	w.walk(&f.tree.Node, 0, false)
	if w.err != nil {
		return w.err
	}
	switch {
	case w.bondVar != "" && w.projVar != "":
		at := max(w.bondAt, w.projAt)
		return f.errorAt(at, fmt.Sprintf("rule reads bond variables (%s) and project variables (%s); a rule can look at bonds or projects, not both", w.bondVar, w.projVar))
	case w.bondVar != "":
		f.subject = SubjectBond
	case w.projVar != "":
		f.subject = SubjectProject
	}
	return nil
}

// walk visits n; inPred counts enclosing predicates; inHist is set inside
// the argument of a history call.
func (w *walker) walk(np *ast.Node, inPred int, inHist bool) {
	if w.err != nil || *np == nil {
		return
	}
	n := *np
	switch n := n.(type) {
	case *ast.IdentifierNode:
		w.ident(n)
	case *ast.VariableDeclaratorNode:
		w.letNames[n.Name] = true
	case *ast.BinaryNode:
		if n.Operator == "+" && (isString(n.Left) || isString(n.Right)) {
			w.err = w.f.errorAt(n.Location().From, "strings cannot be joined with + in rules")
			return
		}
	case *ast.PredicateNode:
		for _, c := range children(n) {
			w.walk(c, inPred+1, inHist)
		}
		return
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && historyFuncs[id.Value] {
			switch {
			case inHist:
				w.err = w.f.errorAt(n.Location().From, fmt.Sprintf("%s cannot be used inside another history function", id.Value))
				return
			case inPred > 0:
				w.err = w.f.errorAt(n.Location().From, fmt.Sprintf("%s cannot be used inside a predicate such as any(…)", id.Value))
				return
			}
			for _, c := range children(n)[1:] {
				w.walk(c, inPred, true)
			}
			if w.err == nil {
				w.history(np, n, id.Value)
			}
			return
		}
	}
	for _, c := range children(n) {
		w.walk(c, inPred, inHist)
	}
}

func isString(n ast.Node) bool {
	t := n.Type()
	return t != nil && t.Kind() == reflect.String
}

// ident records a variable read.
func (w *walker) ident(n *ast.IdentifierNode) {
	name := n.Value
	if w.letNames[name] || strings.HasPrefix(name, "__") {
		return
	}
	if i, ok := lookupVar(name); ok {
		switch varDefs[i].subject {
		case SubjectBond:
			if w.bondVar == "" {
				w.bondVar, w.bondAt = name, n.Location().From
			}
		case SubjectProject:
			if w.projVar == "" {
				w.projVar, w.projAt = name, n.Location().From
			}
		}
	} else if !w.f.env.hasBench(name) {
		return
	}
	if !w.seen[name] {
		w.seen[name] = true
		w.f.vars = append(w.f.vars, name)
	}
}

// history replaces a history call by its hidden variable.
func (w *walker) history(np *ast.Node, n *ast.CallNode, fn string) {
	f := w.f
	args := n.Arguments
	want, usage := 2, fn+"(x, y)"
	switch fn {
	case "prev":
		want, usage = 1, "prev(x)"
	case "change":
		usage = `change(x, "30d")`
	}
	if len(args) != want {
		w.err = f.errorAt(n.Location().From, fmt.Sprintf("%s takes %d argument%s: %s", fn, want, map[bool]string{true: "s"}[want > 1], usage))
		return
	}
	hidden := fmt.Sprintf("__h%d", len(f.hist))
	spec := &histSpec{hidden: hidden, fn: fn}
	if f.hidden == nil {
		f.hidden = map[string]any{}
	}
	ident := &ast.IdentifierNode{Value: hidden}
	text := []rune(f.rw.text)
	cf, ct := f.span(n)
	cf, ct = balancedSpan(text, cf, min(ct, len(text)))
	callSpan := [2]int{cf, ct}
	spec.text = f.origText(n)
	f.override[ident] = callSpan
	spec.dim = f.dimOf(args[0])
	switch fn {
	case "prev":
		spec.subSrc, spec.subFrom = f.nodeText(args[0])
		f.hidden[hidden] = zeroOf(args[0].Type())
		ast.Patch(np, ident)
		f.histNodes[ident] = spec
	case "change":
		d, text, ok := w.window(args[1])
		if !ok {
			w.err = f.errorAt(args[1].Location().From, `the window of change must be a duration such as 30d or "30d"`)
			return
		}
		spec.window, spec.windowText = d, text
		spec.subSrc, spec.subFrom = f.nodeText(args[0])
		f.hidden[hidden] = zeroOf(args[0].Type())
		ident.SetLocation(n.Location())
		sub := &ast.BinaryNode{Operator: "-", Left: args[0], Right: ident}
		ast.Patch(np, sub)
		f.override[sub] = callSpan
		f.histNodes[sub] = spec
	case "crossed_above", "crossed_below":
		now, then := ">", "<="
		if fn == "crossed_below" {
			now, then = "<", ">="
		}
		x, xFrom := f.nodeText(args[0])
		y, _ := f.nodeText(args[1])
		spec.subSrc = "(" + x + ") " + then + " (" + y + ")"
		spec.subFrom = xFrom - 1
		f.hidden[hidden] = false
		ident.SetLocation(n.Location())
		cmp := &ast.BinaryNode{Operator: now, Left: args[0], Right: args[1]}
		cmp.SetLocation(n.Location())
		and := &ast.BinaryNode{Operator: "&&", Left: cmp, Right: ident}
		ast.Patch(np, and)
		f.override[and] = callSpan
		f.histNodes[and] = spec
	}
	f.hist = append(f.hist, spec)
}

// window reads the constant window of change(x, 30d) or change(x, "30d").
func (w *walker) window(n ast.Node) (time.Duration, string, bool) {
	text := w.f.origText(n)
	switch n := n.(type) {
	case *ast.ConstantNode:
		if d, ok := n.Value.(time.Duration); ok && d > 0 {
			return d, text, true
		}
	case *ast.StringNode:
		if d, ok := parseDurationText(n.Value); ok && d > 0 {
			return d, n.Value, true
		}
	}
	return 0, "", false
}

// ruleFunctions are the functions rules may call besides expr's builtins:
// the history functions (replaced before compiling) and internal helpers.
func ruleFunctions() []*builtin.Function {
	replaced := func(...any) (any, error) {
		return nil, errors.New("internal error: history call not replaced")
	}
	fs := []*builtin.Function{
		{Name: "prev", Func: replaced, Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("prev takes one argument, got %d", len(args))
			}
			return args[0], nil
		}},
		{Name: "change", Func: replaced, Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) != 2 {
				return nil, fmt.Errorf(`change takes a value and a window, as in change(spread, "30d"); got %d arguments`, len(args))
			}
			if !isNumeric(args[0]) && args[0] != durationType && args[0].Kind() != reflect.Interface {
				return nil, fmt.Errorf("change needs a number or a duration, got %s", typeName(args[0]))
			}
			if args[1].Kind() != reflect.String && args[1] != durationType && args[1].Kind() != reflect.Interface {
				return nil, fmt.Errorf(`the window of change must be a duration such as 30d or "30d", got %s`, typeName(args[1]))
			}
			return args[0], nil
		}},
		{Name: "crossed_above", Func: replaced, Validate: crossedValidate("crossed_above")},
		{Name: "crossed_below", Func: replaced, Validate: crossedValidate("crossed_below")},
		{Name: cmpFunc, Func: nullableCompare, Validate: func(args []reflect.Type) (reflect.Type, error) {
			return reflect.TypeFor[bool](), nil
		}},
		{Name: derefFunc, Func: nullableDeref, Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("%s takes one argument", derefFunc)
			}
			t := args[0]
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			return t, nil
		}},
		{Name: boolFunc, Func: nullableBool, Validate: func(args []reflect.Type) (reflect.Type, error) {
			return reflect.TypeFor[bool](), nil
		}},
		{Name: unknownFunc, Func: func(...any) (any, error) { return nil, errUnknown }, Validate: func(args []reflect.Type) (reflect.Type, error) {
			return reflect.TypeFor[bool](), nil
		}},
	}
	for name, op := range arithOps {
		fs = append(fs, &builtin.Function{Name: name, Func: arithFunc(op), Validate: arithValidate(op)})
	}
	return fs
}

// arithValidate type-checks the arithmetic helper for op.
func arithValidate(op string) func(args []reflect.Type) (reflect.Type, error) {
	return func(args []reflect.Type) (reflect.Type, error) {
		if len(args) != 2 {
			return nil, fmt.Errorf("%s takes two operands", op)
		}
		for _, a := range args {
			if !isNumeric(a) && a.Kind() != reflect.Interface {
				return nil, fmt.Errorf("invalid operation: %s (mismatched types %s and %s)", op, typeName(args[0]), typeName(args[1]))
			}
		}
		t0, t1 := args[0], args[1]
		for t0.Kind() == reflect.Pointer {
			t0 = t0.Elem()
		}
		for t1.Kind() == reflect.Pointer {
			t1 = t1.Elem()
		}
		return arithResult(op, t0, t1), nil
	}
}

func crossedValidate(name string) func(args []reflect.Type) (reflect.Type, error) {
	return func(args []reflect.Type) (reflect.Type, error) {
		if len(args) != 2 {
			return nil, fmt.Errorf("%s takes two values, as in %s(spread, 500bp); got %d arguments", name, name, len(args))
		}
		for _, a := range args {
			if !isNumeric(a) && a != durationType && a.Kind() != reflect.Interface {
				return nil, fmt.Errorf("%s compares numbers, got %s", name, typeName(a))
			}
		}
		return reflect.TypeFor[bool](), nil
	}
}

func isNumeric(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return t != durationType
	}
	return false
}
