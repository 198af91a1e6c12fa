package suites

// posTable maps 64-bit id hashes to walk positions in two flat arrays with
// linear probing: 12 bytes a slot, at most 3/4 full, about half of what a
// Go map of the same entries costs (the walk of a million enrollments
// holds one while it runs).
type posTable struct {
	keys []uint64 // 0: empty slot (hash 0 is stored as 1)
	vals []int32
	n    int
}

func (s *posTable) slot(h uint64) int {
	if h == 0 {
		h = 1
	}
	mask := len(s.keys) - 1
	i := int((h * 0x9E3779B97F4A7C15) >> 32 & uint64(mask))
	for s.keys[i] != 0 && s.keys[i] != h {
		i = (i + 1) & mask
	}
	return i
}

// get returns the position kept for h.
func (s *posTable) get(h uint64) (int32, bool) {
	if s.n == 0 {
		return 0, false
	}
	i := s.slot(h)
	return s.vals[i], s.keys[i] != 0
}

// put keeps position v for h (replacing any).
func (s *posTable) put(h uint64, v int32) {
	if (s.n+1)*4 > len(s.keys)*3 {
		s.grow()
	}
	if h == 0 {
		h = 1
	}
	i := s.slot(h)
	if s.keys[i] == 0 {
		s.n++
	}
	s.keys[i], s.vals[i] = h, v
}

func (s *posTable) grow() {
	old, oldV := s.keys, s.vals
	size := max(1024, 2*len(old))
	s.keys, s.vals = make([]uint64, size), make([]int32, size)
	for j, k := range old {
		if k != 0 {
			i := s.slot(k)
			s.keys[i], s.vals[i] = k, oldV[j]
		}
	}
}
