package suites

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// repeats finds exactly the positions whose id came earlier, each paired
// with the latest earlier position of its id, whatever the hash: a hash
// that collides everywhere (constant) or often (two bits) gives the same
// pairs as a good one; positions without an id take no part.
func TestRepeatsPairsEachRepeatWithItsLatestEarlierPosition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ids := make([]string, 3000)
	for i := range ids {
		ids[i] = fmt.Sprintf("id-%d", rng.IntN(2000))
		if i%97 == 0 {
			ids[i] = "" // no id
		}
	}
	// What a plain map finds.
	var want [][2]int
	last := map[string]int{}
	for i, id := range ids {
		if id == "" {
			continue
		}
		if p, ok := last[id]; ok {
			want = append(want, [2]int{p, i})
		}
		last[id] = i
	}
	for name, hash := range map[string]func(int) uint64{
		"fnv":      func(i int) uint64 { return fnv64(ids[i]) },
		"constant": func(int) uint64 { return 42 },
		"two bits": func(i int) uint64 { return fnv64(ids[i]) << 62 },
	} {
		var got [][2]int
		repeats(len(ids), func(i int) bool { return ids[i] != "" }, hash,
			func(i, j int) bool { return ids[i] == ids[j] },
			func(prev, i int) { got = append(got, [2]int{prev, i}) })
		slices.SortFunc(got, func(a, b [2]int) int { return a[1] - b[1] })
		if !slices.Equal(got, want) || len(want) < 500 {
			t.Errorf("%s hash: %d pairs, want %d (first got %v, want %v)", name, len(got), len(want), got[:min(3, len(got))], want[:3])
		}
	}
}
