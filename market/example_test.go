package market_test

import (
	"fmt"

	"github.com/spreadwatch/spreadwatch/market"
)

func ExampleFormatRate() {
	fmt.Println(market.FormatRate(9.25))
	fmt.Println(market.FormatRate(9))
	fmt.Println(market.FormatRate(6.125))
	// Output:
	// 9.25%
	// 9.00%
	// 6.125%
}

func ExampleFormatSpread() {
	fmt.Println(market.FormatSpread(4.15))
	fmt.Println(market.FormatSpread(-0.2))
	// Output:
	// +415 bp
	// -20 bp
}

func ExampleFormatMW() {
	fmt.Println(market.FormatMW(1250))
	// Output: 1,250 MW
}

func ExampleFormatUSD() {
	fmt.Println(market.FormatUSD(2e9))
	fmt.Println(market.FormatUSD(1.25e9))
	fmt.Println(market.FormatUSD(800e6))
	// Output:
	// $2.0bn
	// $1.25bn
	// $800m
}

func ExampleFormatDays() {
	fmt.Println(market.FormatDays(90))
	// Output: 90 days
}

func ExampleFormatPtr() {
	var unknown *float64
	coupon := 7.125
	fmt.Println(market.FormatPtr(&coupon, market.FormatRate))
	fmt.Println(market.FormatPtr(unknown, market.FormatRate))
	// Output:
	// 7.125%
	// n/a
}

func ExampleParseQuantity() {
	for _, s := range []string{"400bp", "9.25%", "$2.35bn", "1.5GW", "6mo", "4.5"} {
		v, dim, err := market.ParseQuantity(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-8s %v %v\n", s, v, dim)
	}
	_, _, err := market.ParseQuantity("6,125")
	fmt.Println(err)
	// Output:
	// 400bp    4 rate
	// 9.25%    9.25 rate
	// $2.35bn  2.35e+09 money
	// 1.5GW    1500 power
	// 6mo      182.5 duration
	// 4.5      4.5 number
	// quantity "6,125": no thousands separators, please
}

func ExampleParseWindow() {
	w, err := market.ParseWindow("2026-Q3")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Start.Format("2006-01-02"), w.End.Format("2006-01-02"))
	// Output: 2026-07-01 2026-09-30
}

func ExampleSlipDays() {
	original, _ := market.ParseWindow("2026-H2")
	current, _ := market.ParseWindow("2027-Q1")
	days, _ := market.SlipDays(original, current)
	fmt.Println(market.FormatDays(days))
	// Output: 90 days
}

func ExampleSample() {
	s, err := market.Sample()
	if err != nil {
		fmt.Println(err)
		return
	}
	utility, _ := s.Benchmark("utility")
	_, bond, _ := s.Bond("CIFR-7.125-2030")
	fmt.Println(bond.ID, market.FormatPtr(bond.Coupon, market.FormatRate),
		market.FormatSpread(*bond.Coupon-*utility.Level))
	// Output: CIFR-7.125-2030 7.125% +262.5 bp
}
