package market

import (
	"fmt"
	"strings"
)

// syntheticFeed returns a valid feed with the given number of bonds,
// spread over issuers of 100 bonds each, mixing plain numbers and unit
// strings.
func syntheticFeed(bonds int) []byte {
	var b strings.Builder
	b.WriteString(`{"schema": "spreadwatch.issuer-feed/v1", "as_of": "2026-07-02T00:00:00Z",
"benchmarks": [{"id": "utility", "level": 4.5, "as_of": "2026-02-27", "source": {"provider": "manual"}}],
"issuers": [`)
	const perIssuer = 100
	issuers := (bonds + perIssuer - 1) / perIssuer
	n := 0
	for i := range issuers {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"ticker": "T%05d", "name": "Issuer %d", "kind": "miner_hpc", "rating": {"sp": "BB-"},
"capacity": {"operating_mw": %d, "pipeline_mw": "1.5GW", "as_of": "2026-Q1"},
"projects": [{"id": "P%05d", "mw_original": 200, "mw_current": 150, "original_target": "2026-H2", "current_target": "2027-Q1", "status": "delayed"}],
"bonds": [`, i, i, 100+i, i)
		for j := 0; j < perIssuer && n < bonds; j++ {
			if j > 0 {
				b.WriteString(",\n")
			}
			coupon := fmt.Sprintf("%d.%03d", 5+j%8, j*7%1000)
			if j%3 == 0 {
				coupon = `"` + coupon + `%"`
			}
			fmt.Fprintf(&b, `{"id": "B%07d", "kind": "senior_notes", "coupon": %s, "coupon_type": "fixed", "maturity": "%d-%02d-15", "issue_date": "2025-Q%d", "amount_usd": %s, "secured": %t, "price": null, "yield": null, "src": ["S01"], "confidence": "medium", "note": "synthetic bond"}`,
				n, coupon, 2027+j%10, 1+j%12, 1+j%4, []string{"1250000000", `"$800m"`, `"$2.35bn"`}[j%3], j%2 == 0)
			n++
		}
		b.WriteString("]}")
	}
	b.WriteString("]}\n")
	return []byte(b.String())
}
