package rules_test

import (
	"errors"
	"fmt"

	"github.com/spreadwatch/spreadwatch/market"
	"github.com/spreadwatch/spreadwatch/rules"
)

func ExampleCompile() {
	snap, err := market.Sample()
	if err != nil {
		panic(err)
	}
	p, err := rules.Compile("coupon > utility + 400bp", rules.EnvFor(snap))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range p.Eval(rules.NewIndex(snap), nil, func(t string) bool { return t == "CRWV" }) {
		fmt.Printf("%s %s: %s\n", r.ID, r.Outcome, r.Detail)
	}
	// Output:
	// CRWV-9.25-2030 match: coupon 9.25%, utility 4.50%
	// CRWV-9.00-2031 match: coupon 9.00%, utility 4.50%
	// CRWV-1.75-2031-CV no_match: coupon 1.75%, utility 4.50%
	// CRWV-NOTES-2031-APR26 lacks_data: coupon is unknown
}

func ExampleCompile_error() {
	_, err := rules.Compile("coupon > 400bp && cupon < 10", rules.NewEnv("utility"))
	fmt.Println(err)
	var ce *rules.CompileError
	if errors.As(err, &ce) {
		fmt.Println(ce.Snippet())
	}
	// Output:
	// (1:19) unknown name cupon; did you mean coupon?
	// coupon > 400bp && cupon < 10
	//                   ^
}
