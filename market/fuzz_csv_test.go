package market

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// FuzzLoadCSV checks that the CSV reader never panics and fails only with
// a *FeedError, whatever issuers.csv and bonds.csv hold.
func FuzzLoadCSV(f *testing.F) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(sampleCSVDir, name))
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(read("issuers.csv"), read("bonds.csv"))
	f.Add([]byte("ticker,name\nQBIT,Q\n"), []byte("ticker,id,coupon,maturity\nqbit,B1,\"6,125\",2026-Q5\n"))
	f.Add([]byte("ticker,name,metric_x\nQBIT,\"Q\"x,1\n"), []byte("ticker,id,coupon_pct,coupon\n"))
	f.Add([]byte(""), []byte("\xef\xbb\xbf"))
	meta := read("meta.csv")
	f.Fuzz(func(t *testing.T, issuers, bonds []byte) {
		fsys := fstest.MapFS{
			"meta.csv":    {Data: meta},
			"issuers.csv": {Data: issuers},
			"bonds.csv":   {Data: bonds},
		}
		_, err := loadCSV(fsys, "fuzz")
		var fe *FeedError
		if err != nil && (!errors.As(err, &fe) || len(fe.Problems) == 0) {
			t.Fatalf("loadCSV error %T %q is not a *FeedError with problems", err, err)
		}
	})
}
