package rules

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"
)

// Names of the internal helpers that patched rules call.
const (
	cmpFunc     = "__cmp"
	derefFunc   = "__deref"
	boolFunc    = "__bool"
	unknownFunc = "__unknown"
)

// arithFuncs are the checked arithmetic helpers, by operator: __add(a, b)
// and so on (see nullableArith).
var arithFuncs = map[string]string{
	"+": "__add", "-": "__sub", "*": "__mul", "/": "__div", "%": "__mod", "**": "__pow", "^": "__pow",
}

// arithOps maps the helpers back to their operators.
var arithOps = map[string]string{
	"__add": "+", "__sub": "-", "__mul": "*", "__div": "/", "__mod": "%", "__pow": "**",
}

// arithCall returns the call of the checked helper for a op b at the
// location of old.
func arithCall(op string, a, b, old ast.Node) *ast.CallNode {
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: arithFuncs[op]}, Arguments: []ast.Node{a, b}}
	call.Callee.SetLocation(old.Location())
	call.SetLocation(old.Location())
	return call
}

// errUnknown is what a helper returns when it meets an unknown value in a
// place whose effect on the outcome cannot be bounded (see polarities);
// the instance then lacks data.
var errUnknown = errors.New("a value the rule needs is unknown")

// back turns a checked tree into a program: it records what must be known,
// makes comparisons of nullable element fields three-valued, checks
// arithmetic, bounds the work of predicates, and compiles.
//
// With kleene set it compiles the program for subjects where a variable
// the rule needs is unknown: each smallest true-or-false part of the rule
// that reads such a variable is guarded, so that it stands for __unk (or
// its negation) when the variable is unknown; see Program.decide. All
// arithmetic is checked then; otherwise + and - are left to the VM unless
// a literal is so large that they could overflow.
func (f *front) back(tree *parser.Tree, kleene bool) (compiled, *CompileError) {
	var c compiled
	n := &needs{f: f, optional: map[string]bool{}, required: map[string]bool{}}
	n.walk(tree.Node, false)
	for name := range n.required {
		if i, ok := lookupVar(name); ok {
			c.needMask |= 1 << uint(i)
		} else if f.env.hasBench(name) {
			c.needBench = append(c.needBench, name)
		}
	}
	slices.Sort(c.needBench)
	c.elemMask = n.elemMask

	pol := polarities(tree.Node)
	if kleene {
		g := &guardPatcher{f: f, pol: pol}
		root := tree.Node
		g.guard(&tree.Node, 1)
		if g, ok := tree.Node.(*ast.ConditionalNode); ok && g.Exp1 == root {
			// The whole rule is one guarded part: an unknown value it
			// needs makes it lack data without running it.
			c.wholeGuarded = true
		}
	}
	c.addSub = hasAddSub(tree.Node)
	checkAll := kleene || hasHugeLiteral(tree.Node)
	ast.Walk(&tree.Node, &nullablePatcher{pol: pol, checkAddSub: checkAll})
	ast.Walk(&tree.Node, &tickPatcher{})
	if _, err := checker.Check(tree, f.cfg); err != nil {
		return c, f.exprError(err, 0)
	}
	if err := optimizer.Optimize(&tree.Node, f.cfg); err != nil {
		return c, f.exprError(err, 0)
	}
	prog, err := compiler.Compile(tree, f.cfg)
	if err != nil {
		return c, f.exprError(err, 0)
	}
	c.prog = prog
	c.load, c.loadAll = programLoads(prog)
	return c, nil
}

// programLoads returns the bits of the variables prog reads from its
// environment, and whether it reads the environment otherwise than by
// name ($env).
func programLoads(prog *vm.Program) (load uint64, all bool) {
	for ip, op := range prog.Bytecode {
		switch op {
		case vm.OpLoadFast, vm.OpLoadConst:
			name, ok := prog.Constants[prog.Arguments[ip]].(string)
			if !ok {
				return allVarMask, true
			}
			if i, ok := lookupVar(name); ok {
				load |= 1 << uint(i)
			}
		case vm.OpLoadEnv, vm.OpLoadField, vm.OpLoadMethod:
			return allVarMask, true
		}
	}
	return load, false
}

// compileSub compiles the argument of a history call, found at base in the
// rewritten text.
func (f *front) compileSub(src string, base int) (compiled, *CompileError) {
	cfg := newConfig(f.env, nil, f.units)
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		return compiled{}, f.exprError(err, base)
	}
	if _, err := new(checker.Checker).PatchAndCheck(tree, cfg); err != nil {
		return compiled{}, f.exprError(err, base)
	}
	sub := *f
	sub.cfg = cfg
	return sub.back(tree, false)
}

// needs finds the variables that must be known for a rule to be decided:
// every variable read, except where the author handles an unknown value
// (x ?? default, x == nil, x != nil).
type needs struct {
	f        *front
	optional map[string]bool
	required map[string]bool
	elemMask uint64
}

func (n *needs) walk(node ast.Node, optional bool) {
	if node == nil {
		return
	}
	switch x := node.(type) {
	case *ast.IdentifierNode:
		if optional {
			n.optional[x.Value] = true
		} else {
			n.required[x.Value] = true
		}
		return
	case *ast.BinaryNode:
		switch {
		case x.Operator == "??":
			n.walk(x.Left, true)
			n.walk(x.Right, optional)
			return
		case (x.Operator == "==" || x.Operator == "!=") && isNil(x.Right):
			n.walk(x.Left, true)
			return
		case (x.Operator == "==" || x.Operator == "!=") && isNil(x.Left):
			n.walk(x.Right, true)
			return
		}
	case *ast.MemberNode:
		if prop, ok := x.Property.(*ast.StringNode); ok {
			t := x.Node.Type()
			for t != nil && t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t != nil && t.Kind() == reflect.Struct {
				if bit, ok := elemFieldBit(t, prop.Value); ok {
					n.elemMask |= 1 << uint(bit)
				}
			}
		}
	}
	for _, c := range children(node) {
		n.walk(*c, optional)
	}
}

func isNil(n ast.Node) bool {
	_, ok := n.(*ast.NilNode)
	return ok
}

// nullable reports whether n may be nil because it reads an element field
// that can be unknown.
func nullable(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.CallNode:
		if id, ok := x.Callee.(*ast.IdentifierNode); ok {
			if id.Value == derefFunc {
				return true
			}
			if _, ok := arithOps[id.Value]; ok {
				return nullable(x.Arguments[0]) || nullable(x.Arguments[1])
			}
		}
	case *ast.MemberNode:
		t := n.Type()
		return t != nil && t.Kind() == reflect.Pointer
	}
	return false
}

// Polarities of a part of a rule: how the outcome moves when the part's
// truth (or number) goes up. An unknown value in a part of polarity +1
// stands for false in the low run of a rule and true in the high run, -1
// the other way round; the outcome is decided when both runs agree. A part
// of polarity 0 (inside ==, one(…), a condition of ?:, …) cannot be
// bounded that way: an unknown value there makes the instance lack data.
const (
	polNeg   int8 = -1
	polMixed int8 = 0
	polPos   int8 = 1
)

// polarities returns the polarity of every node of the tree under root.
func polarities(root ast.Node) map[ast.Node]int8 {
	pol := map[ast.Node]int8{}
	var walk func(n ast.Node, p int8)
	walk = func(n ast.Node, p int8) {
		if n == nil {
			return
		}
		pol[n] = p
		switch x := n.(type) {
		case *ast.UnaryNode:
			switch x.Operator {
			case "!", "not", "-":
				walk(x.Node, -p)
			case "+":
				walk(x.Node, p)
			default:
				walk(x.Node, polMixed)
			}
			return
		case *ast.BinaryNode:
			switch x.Operator {
			case "&&", "||", "and", "or", "??", "+":
				walk(x.Left, p)
				walk(x.Right, p)
			case ">", ">=", "-":
				walk(x.Left, p)
				walk(x.Right, -p)
			case "<", "<=":
				walk(x.Left, -p)
				walk(x.Right, p)
			default:
				walk(x.Left, polMixed)
				walk(x.Right, polMixed)
			}
			return
		case *ast.ConditionalNode:
			walk(x.Cond, polMixed)
			walk(x.Exp1, p)
			walk(x.Exp2, p)
			return
		case *ast.PredicateNode:
			walk(x.Node, p)
			return
		case *ast.CallNode:
			if id, ok := x.Callee.(*ast.IdentifierNode); ok && id.Value == boolFunc {
				walk(x.Arguments[0], p)
				return
			}
		case *ast.BuiltinNode:
			list, pred := polMixed, polMixed
			switch x.Name {
			case "any", "count", "filter":
				// More elements, or more that hold, make these larger.
				list, pred = p, p
			case "all":
				list, pred = -p, p
			case "none":
				list, pred = -p, -p
			case "len":
				list = p
			}
			for i, a := range x.Arguments {
				if i == 0 {
					walk(a, list)
				} else {
					walk(a, pred)
				}
			}
			return
		}
		for _, c := range children(n) {
			walk(*c, polMixed)
		}
	}
	walk(root, polPos)
	return pol
}

// unkArg returns what an unknown value of polarity p stands for: __unk,
// !__unk, or nil (the helper then fails with errUnknown).
func unkArg(p int8, loc ast.Node) ast.Node {
	var n ast.Node
	switch p {
	case polPos:
		n = &ast.IdentifierNode{Value: unkVar}
	case polNeg:
		id := &ast.IdentifierNode{Value: unkVar}
		id.SetLocation(loc.Location())
		n = &ast.UnaryNode{Operator: "!", Node: id}
	default:
		n = &ast.NilNode{}
	}
	n.SetLocation(loc.Location())
	return n
}

// nullablePatcher makes comparisons and arithmetic on nullable element
// fields explicit calls: arithmetic with an unknown operand is unknown,
// and a comparison with an unknown operand, or an unknown true-or-false
// field, yields __unk, !__unk or an errUnknown failure by its polarity.
// Eval runs a rule with __unk false and, when an element value it reads is
// unknown, again with __unk true: if the two runs disagree, the outcome
// depends on the unknown value and the rule lacks data. It also checks
// arithmetic: division, modulo, multiplication and powers always, + and -
// when checkAddSub is set.
type nullablePatcher struct {
	pol         map[ast.Node]int8
	checkAddSub bool
}

// Visit implements ast.Visitor.
func (np *nullablePatcher) Visit(node *ast.Node) {
	if m, ok := (*node).(*ast.MemberNode); ok && isElemField(m) {
		// Element fields are pointers; builtins such as max() cannot
		// read them, so they are dereferenced (to nil when unknown).
		call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: derefFunc}, Arguments: []ast.Node{m}}
		call.Callee.SetLocation(m.Location())
		call.SetLocation(m.Location())
		ast.Patch(node, call)
		return
	}
	if c, ok := (*node).(*ast.CallNode); ok {
		if id, ok := c.Callee.(*ast.IdentifierNode); ok && id.Value == boolFunc && len(c.Arguments) == 1 {
			c.Arguments = append(c.Arguments, unkArg(np.pol[c], c))
		}
		return
	}
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || isNil(b.Left) || isNil(b.Right) {
		return
	}
	op := b.Operator
	switch op {
	case "<", ">", "<=", ">=", "==", "!=":
		if !nullable(b.Left) && !nullable(b.Right) {
			return
		}
		call := &ast.CallNode{
			Callee:    &ast.IdentifierNode{Value: cmpFunc},
			Arguments: []ast.Node{&ast.StringNode{Value: op}, b.Left, b.Right, unkArg(np.pol[b], b)},
		}
		setLoc(call, b)
		ast.Patch(node, call)
	case "+", "-", "*", "/", "%", "**", "^":
		if !isNumeric(operandType(b.Left)) || !isNumeric(operandType(b.Right)) {
			return
		}
		if (op == "+" || op == "-") && !np.checkAddSub && !nullable(b.Left) && !nullable(b.Right) {
			return
		}
		ast.Patch(node, arithCall(op, b.Left, b.Right, b))
	}
}

// guardPatcher guards, in the program for subjects with unknown
// variables, each smallest true-or-false part of the rule that reads a
// variable which may be unknown: the part p becomes
// (x != nil && … ? p : u), where u is __unk, !__unk or __unknown() by the
// part's polarity. Parts joined by &&, ||, ! and the predicates of any,
// all and none are guarded separately, which gives the rule three-valued
// (Kleene) logic: coupon > 5 || secured holds when coupon is 6, whatever
// secured is.
type guardPatcher struct {
	f   *front
	pol map[ast.Node]int8
}

func (g *guardPatcher) guard(np *ast.Node, p int8) {
	n := *np
	if n == nil {
		return
	}
	switch x := n.(type) {
	case *ast.BoolNode, *ast.ConstantNode, *ast.NilNode:
		return
	case *ast.BinaryNode:
		switch x.Operator {
		case "&&", "||", "and", "or":
			g.guard(&x.Left, p)
			g.guard(&x.Right, p)
			return
		}
	case *ast.UnaryNode:
		if x.Operator == "!" || x.Operator == "not" {
			g.guard(&x.Node, -p)
			return
		}
	case *ast.ConditionalNode:
		if len(g.reads(x.Cond)) == 0 {
			g.guard(&x.Exp1, p)
			g.guard(&x.Exp2, p)
			return
		}
	case *ast.BuiltinNode:
		if (x.Name == "any" || x.Name == "all" || x.Name == "none") && len(x.Arguments) == 2 && len(g.reads(x.Arguments[0])) == 0 {
			if pr, ok := x.Arguments[1].(*ast.PredicateNode); ok {
				pp := p
				if x.Name == "none" {
					pp = -p
				}
				g.guard(&pr.Node, pp)
				return
			}
		}
	}
	vars := g.reads(n)
	if len(vars) == 0 {
		return
	}
	var cond ast.Node
	for _, v := range vars {
		id := &ast.IdentifierNode{Value: v}
		nl := &ast.NilNode{}
		ne := &ast.BinaryNode{Operator: "!=", Left: id, Right: nl}
		for _, c := range []ast.Node{id, nl, ne} {
			c.SetLocation(n.Location())
		}
		if cond == nil {
			cond = ne
		} else {
			and := &ast.BinaryNode{Operator: "&&", Left: cond, Right: ne}
			and.SetLocation(n.Location())
			cond = and
		}
	}
	var u ast.Node
	if p == polMixed {
		call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: unknownFunc}}
		call.Callee.SetLocation(n.Location())
		u = call
	} else {
		u = unkArg(p, n)
	}
	u.SetLocation(n.Location())
	c := &ast.ConditionalNode{Cond: cond, Exp1: n, Exp2: u}
	c.SetLocation(n.Location())
	*np = c
}

// reads returns the variables n reads that may be unknown, and that the
// rule does not handle itself (x ?? d, x == nil), sorted.
func (g *guardPatcher) reads(n ast.Node) []string {
	nd := &needs{f: g.f, optional: map[string]bool{}, required: map[string]bool{}}
	nd.walk(n, false)
	var vars []string
	for name := range nd.required {
		if mayBeUnknown(g.f, name) {
			vars = append(vars, name)
		}
	}
	slices.Sort(vars)
	return vars
}

// mayBeUnknown reports whether a variable read by a rule can be unknown:
// a number, date or true-or-false variable, a benchmark, or the value of a
// history call.
func mayBeUnknown(f *front, name string) bool {
	if i, ok := lookupVar(name); ok {
		return varDefs[i].dim != dimString && varDefs[i].dim != dimList
	}
	return f.env.hasBench(name) || strings.HasPrefix(name, "__h")
}

// hasAddSub reports whether the tree adds or subtracts.
func hasAddSub(n ast.Node) bool {
	if n == nil {
		return false
	}
	if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "+" || b.Operator == "-") {
		return true
	}
	for _, c := range children(n) {
		if hasAddSub(*c) {
			return true
		}
	}
	return false
}

// hugeNumber is the magnitude past which a sum or difference of numbers
// may overflow.
const hugeNumber = 1e300

// hasHugeLiteral reports whether the tree holds a number literal of
// magnitude hugeNumber or more.
func hasHugeLiteral(n ast.Node) bool {
	if n == nil {
		return false
	}
	switch x := n.(type) {
	case *ast.FloatNode:
		return math.Abs(x.Value) >= hugeNumber
	case *ast.ConstantNode:
		if v, ok := x.Value.(float64); ok {
			return math.Abs(v) >= hugeNumber
		}
	}
	for _, c := range children(n) {
		if hasHugeLiteral(*c) {
			return true
		}
	}
	return false
}

// setLoc gives a new node and its synthetic children the location of old.
func setLoc(n *ast.CallNode, old ast.Node) {
	n.Callee.SetLocation(old.Location())
	n.Arguments[0].SetLocation(old.Location())
	if len(n.Arguments) == 4 {
		n.Arguments[3].SetLocation(old.Location())
	}
}

// operandType is the type of n, seeing through the helpers added by
// nullablePatcher (whose nodes have not been type-checked yet).
func operandType(n ast.Node) reflect.Type {
	if c, ok := n.(*ast.CallNode); ok {
		if id, ok := c.Callee.(*ast.IdentifierNode); ok {
			switch id.Value {
			case derefFunc:
				return c.Arguments[0].Type()
			default:
				if op, ok := arithOps[id.Value]; ok && len(c.Arguments) == 2 {
					return arithResult(op, operandType(c.Arguments[0]), operandType(c.Arguments[1]))
				}
			}
		}
	}
	return n.Type()
}

// arithResult is the type of a op b for numbers: int for +, -, * and %
// of integers, else float64.
func arithResult(op string, a, b reflect.Type) reflect.Type {
	isInt := func(t reflect.Type) bool {
		if t == nil || t == durationType {
			return false
		}
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return true
		}
		return false
	}
	if op != "/" && op != "**" && op != "^" && isInt(a) && isInt(b) {
		return reflect.TypeFor[int]()
	}
	return reflect.TypeFor[float64]()
}

// isElemField reports whether m reads a nullable field of a list element.
func isElemField(m *ast.MemberNode) bool {
	prop, ok := m.Property.(*ast.StringNode)
	if !ok || m.Method {
		return false
	}
	t := m.Node.Type()
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return false
	}
	_, ok = elemFieldBit(t, prop.Value)
	return ok
}

// nullableDeref implements __deref(p).
func nullableDeref(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("internal error: %s takes 1 argument", derefFunc)
	}
	return derefValue(args[0]), nil
}

// nullableCompare implements __cmp(op, a, b, unk): the comparison, or
// unk when a or b is unknown (errUnknown when unk is nil).
func nullableCompare(args ...any) (_ any, err error) {
	defer recoverTo(&err)
	if len(args) != 4 {
		return nil, fmt.Errorf("internal error: %s takes 4 arguments", cmpFunc)
	}
	op, _ := args[0].(string)
	a, b := derefValue(args[1]), derefValue(args[2])
	if a == nil || b == nil {
		unk, ok := args[3].(bool)
		if !ok {
			return nil, errUnknown
		}
		return unk, nil
	}
	switch op {
	case "<":
		return runtime.Less(a, b), nil
	case ">":
		return runtime.More(a, b), nil
	case "<=":
		return runtime.LessOrEqual(a, b), nil
	case ">=":
		return runtime.MoreOrEqual(a, b), nil
	case "==":
		return runtime.Equal(a, b), nil
	case "!=":
		return !runtime.Equal(a, b), nil
	}
	return nil, fmt.Errorf("internal error: bad operator %q", op)
}

// nullableBool implements __bool(v, unk): the true-or-false element field
// v, or unk when v is unknown (errUnknown when unk is nil). In the
// explanation of a rule it has no second argument and yields nil when v
// is unknown.
func nullableBool(args ...any) (any, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, fmt.Errorf("internal error: %s takes 1 or 2 arguments", boolFunc)
	}
	switch v := derefValue(args[0]).(type) {
	case bool:
		return v, nil
	case nil:
		if len(args) == 1 {
			return nil, nil
		}
		if unk, ok := args[1].(bool); ok {
			return unk, nil
		}
		return nil, errUnknown
	}
	return nil, errors.New("the value is not true or false")
}

// recoverTo turns a panic of expr's runtime helpers (mismatched types)
// into an error, so that callers outside the VM are safe too.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%v", r)
	}
}

// Run-time failures of arithmetic, shown to users.
var (
	errDivZero  = errors.New("division by zero")
	errModZero  = errors.New("modulo by zero")
	errOverflow = errors.New("arithmetic overflow: the result is too large")
	errNaN      = errors.New("arithmetic result is undefined (not a number)")
)

// arithFunc returns the implementation of the helper for op.
func arithFunc(op string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		if len(args) != 2 {
			return nil, fmt.Errorf("internal error: %s takes 2 arguments", arithFuncs[op])
		}
		return nullableArith(op, args[0], args[1])
	}
}

// nullableArith returns nil when a or b is nil, else a op b, failing on a
// division or modulo by zero and on a result that is not a finite number.
// % of two integers is integer modulo; with a fraction it is math.Mod.
func nullableArith(op string, a, b any) (_ any, err error) {
	defer recoverTo(&err)
	a, b = derefValue(a), derefValue(b)
	if a == nil || b == nil {
		return nil, nil
	}
	var v any
	switch op {
	case "+":
		v = runtime.Add(a, b)
	case "-":
		v = runtime.Subtract(a, b)
	case "*":
		v = runtime.Multiply(a, b)
	case "/":
		if bf, ok := toFloat(b); ok && bf == 0 {
			return nil, errDivZero
		}
		v = runtime.Divide(a, b)
	case "%":
		af, aok := toFloat(a)
		bf, bok := toFloat(b)
		if !aok || !bok {
			return nil, fmt.Errorf("invalid operation: %% needs numbers")
		}
		if bf == 0 {
			return nil, errModZero
		}
		ai, aInt := a.(int)
		bi, bInt := b.(int)
		if aInt && bInt {
			return ai % bi, nil
		}
		v = math.Mod(af, bf)
	case "**", "^":
		v = runtime.Exponent(a, b)
	default:
		return nil, fmt.Errorf("internal error: bad operator %q", op)
	}
	if f, ok := v.(float64); ok {
		switch {
		case math.IsNaN(f):
			return nil, errNaN
		case math.IsInf(f, 0):
			return nil, errOverflow
		}
	}
	return v, nil
}

// tickPatcher charges every step of a predicate to the VM's memory budget,
// so that nested loops cannot run for long: the body p becomes
// [p, __unk, nil, …][0], whose array costs one unit per element. Bigger
// bodies cost more per step.
type tickPatcher struct{}

// Visit implements ast.Visitor.
func (tickPatcher) Visit(node *ast.Node) {
	p, ok := (*node).(*ast.PredicateNode)
	if !ok || p.Node == nil {
		return
	}
	// The second element reads a variable so that the optimizer cannot
	// fold the array away when the body is constant.
	cost := 2 + countNodes(p.Node)/8
	items := make([]ast.Node, 0, cost)
	items = append(items, p.Node, &ast.IdentifierNode{Value: unkVar})
	for len(items) < cost {
		items = append(items, &ast.NilNode{})
	}
	arr := &ast.ArrayNode{Nodes: items}
	idx := &ast.IntegerNode{Value: 0}
	m := &ast.MemberNode{Node: arr, Property: idx}
	loc := p.Node.Location()
	arr.SetLocation(loc)
	idx.SetLocation(loc)
	for _, it := range items[1:] {
		it.SetLocation(loc)
	}
	m.SetLocation(loc)
	p.Node = m
}

// countNodes counts the nodes of a tree.
func countNodes(n ast.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, ch := range children(n) {
		c += countNodes(*ch)
	}
	return c
}

// derefValue returns what a pointer points to, or nil for a nil pointer.
func derefValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case *float64:
		if x == nil {
			return nil
		}
		return *x
	case *bool:
		if x == nil {
			return nil
		}
		return *x
	case *time.Time:
		if x == nil {
			return nil
		}
		return *x
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	return rv.Interface()
}

// errorLine returns the first line of an error message.
func errorLine(msg string) string {
	line, _, _ := strings.Cut(msg, "\n")
	return line
}
