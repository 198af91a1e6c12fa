package suites

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The hand-written reader and writer agree with the time package on every
// text and instant they meet, and on the texts they must refuse.
func TestMilliFastPathsAgreeWithTimePackage(t *testing.T) {
	texts := []string{
		"2024-02-29T23:59:59.999Z", "2023-02-29T00:00:00.000Z", "2100-02-29T00:00:00.000Z", "2000-02-29T12:00:00.000Z",
		"0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00.000Z",
		"2024-13-01T00:00:00.000Z", "2024-00-10T00:00:00.000Z", "2024-04-31T00:00:00.000Z", "2024-01-00T00:00:00.000Z",
		"2024-01-01T24:00:00.000Z", "2024-01-01T23:60:00.000Z", "2024-01-01T23:59:60.000Z", "2024-01-01T23:59:59.99xZ",
		"2024-01-01 23:59:59.999Z", "2024-01-01T23:59:59.999+", "+024-01-01T23:59:59.999Z", "2024-1-01T23:59:59.999Z",
	}
	rng := rand.New(rand.NewPCG(1, 16))
	for range 20000 {
		ms := rng.Int64N(253402300800000+62167219200000) - 62167219200000 // years 0000-9999
		texts = append(texts, time.UnixMilli(ms).UTC().Format(milliLayout))
	}
	for _, s := range texts {
		want, err := time.Parse(milliLayout, s)
		got, ok := parseMilli(s)
		if ok != (err == nil && want.Format(milliLayout) == s) || ok && got != want.UnixMilli() {
			t.Fatalf("parseMilli(%q) = %d, %v; time.Parse: %v, %v", s, got, ok, want.UnixMilli(), err)
		}
		if ok {
			if f := formatMilli(got); f != s {
				t.Fatalf("formatMilli(%d) = %q, want %q", got, f, s)
			}
			if it, iok := instant(s); !iok || !it.Equal(want) {
				t.Fatalf("instant(%q) = %v, %v; want %v", s, it, iok, want)
			}
		}
	}
	// The date and whole-second forms read as the time package reads them.
	others := []string{"2024-02-29", "2023-02-29", "2024-04-31", "0000-01-01", "9999-12-31", "2024-1-01", "2024-01-0x",
		"2024-02-29T23:59:59Z", "2024-02-29T24:00:00Z", "2024-02-29T23:59:60Z", "2024-02-29T23:59:59+", "1969-12-31T23:59:59Z"}
	for _, s := range texts {
		others = append(others, s[:10], s[:19]+"Z")
	}
	for _, s := range others {
		layout := time.RFC3339
		if len(s) == 10 {
			layout = time.DateOnly
		}
		want, err := time.Parse(layout, s)
		got, ok := fastInstant(s)
		if ok && (err != nil || !got.Equal(want)) || !ok && err == nil && want.Format(layout) == s {
			t.Fatalf("fastInstant(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
		}
	}
	for _, ms := range []int64{-62167219200001, 253402300800000, -1, 0} {
		if got, want := formatMilli(ms), time.UnixMilli(ms).UTC().Format(milliLayout); got != want {
			t.Errorf("formatMilli(%d) = %q, want %q", ms, got, want)
		}
	}
}
