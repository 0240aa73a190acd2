package market

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkDecodeSample(b *testing.B) {
	data := SampleJSON()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(data), "sample"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode100kBonds(b *testing.B) {
	data := syntheticFeed(100_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(data), "synthetic"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadCSVSample(b *testing.B) {
	for b.Loop() {
		if _, err := LoadCSV(sampleCSVDir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeSample(b *testing.B) {
	s := mustSample(b)
	for b.Loop() {
		if err := Encode(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFingerprintSample(b *testing.B) {
	s := mustSample(b)
	for b.Loop() {
		s.Fingerprint()
	}
}

func BenchmarkParseQuantity(b *testing.B) {
	for b.Loop() {
		ParseQuantity("$2.35bn")
	}
}
