package client

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadCapped(t *testing.T) {
	big := strings.Repeat("x", 3<<20+17)
	cases := []struct {
		in       string
		max      int64
		wantLen  int
		wantOver bool
	}{
		{"", 10, 0, false},
		{"abc", 10, 3, false},
		{"abcdefghij", 10, 10, false},
		{"abcdefghijk", 10, 10, true},
		{big, int64(len(big)), len(big), false},
		{big, 2 << 20, 2 << 20, true},
	}
	for _, c := range cases {
		b, over, err := readCapped(strings.NewReader(c.in), c.max)
		if err != nil || len(b) != c.wantLen || over != c.wantOver || !bytes.Equal(b, []byte(c.in[:c.wantLen])) {
			t.Errorf("len(in)=%d max=%d: got len %d over %v err %v", len(c.in), c.max, len(b), over, err)
		}
	}
	boom := errors.New("reset")
	b, over, err := readCapped(io.MultiReader(strings.NewReader("partial"), errReader{boom}), 100)
	if !errors.Is(err, boom) || over || string(b) != "partial" {
		t.Errorf("read error: %q %v %v", b, over, err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
