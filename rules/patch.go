package rules

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm/runtime"
)

// Names of the internal helpers that patched rules call.
const (
	cmpFunc   = "__cmp"
	arithFunc = "__arith"
	derefFunc = "__deref"
)

// back turns a checked tree into a program: it records what must be known,
// makes comparisons of nullable element fields three-valued, bounds the
// work of predicates, and compiles.
func (f *front) back(tree *parser.Tree) (compiled, *CompileError) {
	var c compiled
	n := &needs{f: f, optional: map[string]bool{}, required: map[string]bool{}}
	n.walk(tree.Node, false)
	for name := range n.required {
		if i, ok := lookupVar(name); ok {
			c.needMask |= 1 << uint(i)
		} else if slices.Contains(f.env.benchmarks, name) {
			c.needBench = append(c.needBench, name)
		}
	}
	slices.Sort(c.needBench)
	c.elemMask = n.elemMask

	ast.Walk(&tree.Node, &nullablePatcher{})
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
	return c, nil
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
	return sub.back(tree)
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
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && (id.Value == arithFunc || id.Value == derefFunc) {
			return true
		}
	case *ast.MemberNode:
		t := n.Type()
		return t != nil && t.Kind() == reflect.Pointer
	}
	return false
}

// nullablePatcher makes comparisons and arithmetic on nullable element
// fields explicit calls: arithmetic with an unknown operand is unknown,
// and a comparison with an unknown operand yields the hidden variable
// __unk. Eval runs a rule with __unk false and, when an element value it
// reads is unknown, again with __unk true: if the two runs disagree, the
// outcome depends on the unknown value and the rule lacks data.
type nullablePatcher struct{}

// Visit implements ast.Visitor.
func (nullablePatcher) Visit(node *ast.Node) {
	if m, ok := (*node).(*ast.MemberNode); ok && isElemField(m) {
		// Element fields are pointers; builtins such as max() cannot
		// read them, so they are dereferenced (to nil when unknown).
		call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: derefFunc}, Arguments: []ast.Node{m}}
		call.Callee.SetLocation(m.Location())
		ast.Patch(node, call)
		return
	}
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || isNil(b.Left) || isNil(b.Right) || !(nullable(b.Left) || nullable(b.Right)) {
		return
	}
	op := b.Operator
	switch op {
	case "<", ">", "<=", ">=", "==", "!=":
		call := &ast.CallNode{
			Callee:    &ast.IdentifierNode{Value: cmpFunc},
			Arguments: []ast.Node{&ast.StringNode{Value: op}, b.Left, b.Right, &ast.IdentifierNode{Value: unkVar}},
		}
		setLoc(call, b)
		ast.Patch(node, call)
	case "+", "-", "*", "/", "%", "**", "^":
		if !isNumeric(operandType(b.Left)) || !isNumeric(operandType(b.Right)) {
			return
		}
		call := &ast.CallNode{
			Callee:    &ast.IdentifierNode{Value: arithFunc},
			Arguments: []ast.Node{&ast.StringNode{Value: op}, b.Left, b.Right},
		}
		setLoc(call, b)
		ast.Patch(node, call)
	}
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
			case arithFunc:
				return reflect.TypeFor[float64]()
			}
		}
	}
	return n.Type()
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

// nullableCompare implements __cmp(op, a, b, unk).
func nullableCompare(args ...any) (_ any, err error) {
	defer recoverTo(&err)
	if len(args) != 4 {
		return nil, fmt.Errorf("internal error: %s takes 4 arguments", cmpFunc)
	}
	op, _ := args[0].(string)
	a, b := derefValue(args[1]), derefValue(args[2])
	if a == nil || b == nil {
		unk, _ := args[3].(bool)
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

// recoverTo turns a panic of expr's runtime helpers (mismatched types)
// into an error, so that callers outside the VM are safe too.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%v", r)
	}
}

// nullableArith implements __arith(op, a, b): nil when a or b is nil.
func nullableArith(args ...any) (_ any, err error) {
	defer recoverTo(&err)
	if len(args) != 3 {
		return nil, fmt.Errorf("internal error: %s takes 3 arguments", arithFunc)
	}
	op, _ := args[0].(string)
	a, b := derefValue(args[1]), derefValue(args[2])
	if a == nil || b == nil {
		return nil, nil
	}
	switch op {
	case "+":
		return runtime.Add(a, b), nil
	case "-":
		return runtime.Subtract(a, b), nil
	case "*":
		return runtime.Multiply(a, b), nil
	case "/":
		return runtime.Divide(a, b), nil
	case "%":
		return runtime.Modulo(a, b), nil
	case "**", "^":
		return runtime.Exponent(a, b), nil
	}
	return nil, fmt.Errorf("internal error: bad operator %q", op)
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
