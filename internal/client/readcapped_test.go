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
		b, n, over, err := readCapped(strings.NewReader(c.in), c.max, nil)
		if c.wantOver {
			// Past the cap only the start is kept, for evidence.
			if err != nil || !over || n != c.max || len(b) == 0 || len(b) > firstChunk || !bytes.Equal(b, []byte(c.in[:len(b)])) {
				t.Errorf("len(in)=%d max=%d: got len %d read %d over %v err %v", len(c.in), c.max, len(b), n, over, err)
			}
			continue
		}
		if err != nil || len(b) != c.wantLen || n != int64(c.wantLen) || over || !bytes.Equal(b, []byte(c.in[:c.wantLen])) {
			t.Errorf("len(in)=%d max=%d: got len %d over %v err %v", len(c.in), c.max, len(b), over, err)
		}
	}
	boom := errors.New("reset")
	b, _, over, err := readCapped(io.MultiReader(strings.NewReader("partial"), errReader{boom}), 100, nil)
	if !errors.Is(err, boom) || over || string(b) != "partial" {
		t.Errorf("read error: %q %v %v", b, over, err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
