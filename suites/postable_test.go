package suites

import "testing"

// posTable keeps what a map keeps, through growth, hash 0 included.
func TestPosTableAsMap(t *testing.T) {
	var s posTable
	m := map[uint64]int32{}
	for i := range 50000 {
		h := uint64(i) * 0x100000001b3 % 70001 // repeats
		if i%7 == 0 {
			h = 0
		}
		want, wok := m[h]
		if h == 0 {
			want, wok = m[1]
		}
		got, ok := s.get(h)
		if ok != wok || got != want {
			t.Fatalf("get(%d) = %d,%v, want %d,%v", h, got, ok, want, wok)
		}
		if !ok {
			key := h
			if key == 0 {
				key = 1
			}
			m[key] = int32(i)
			s.put(h, int32(i))
		}
	}
	if s.n != len(m) {
		t.Errorf("%d entries, want %d", s.n, len(m))
	}
}
