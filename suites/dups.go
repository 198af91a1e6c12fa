package suites

import (
	"math/bits"
	"slices"
)

// repeats finds the positions in [0, n) whose id equals that of an
// earlier position, calling pair(prev, i) for each such i with prev the
// latest earlier position of the same id. keep says which positions have
// an id at all, hash hashes a position's id and same compares two
// positions' ids exactly.
//
// The positions are sorted by (hash, position) packed in one uint64: the
// position in the low bits, as many high bits of the hash as are left.
// That is 8 bytes a record where a struct of hash and position took 16: on
// the large district the id checks of the walk and of the integrity index
// held 15 MB each at the run's memory peak. Fewer hash bits only make
// runs of equal keys a little likelier; ids are compared exactly within a
// run, so the result is the same as with the whole hash.
func repeats(n int, keep func(int) bool, hash func(int) uint64, same func(i, j int) bool, pair func(prev, i int)) {
	idxBits := max(bits.Len(uint(n)), 1)
	mask := uint64(1)<<idxBits - 1
	keys := make([]uint64, 0, n)
	for i := range n {
		if keep == nil || keep(i) {
			keys = append(keys, hash(i)&^mask|uint64(i))
		}
	}
	slices.Sort(keys)
	for k := 1; k < len(keys); k++ {
		h, i := keys[k]>>idxBits, int(keys[k]&mask)
		for j := k - 1; j >= 0 && keys[j]>>idxBits == h; j-- {
			if prev := int(keys[j] & mask); same(prev, i) {
				pair(prev, i)
				break
			}
		}
	}
}
