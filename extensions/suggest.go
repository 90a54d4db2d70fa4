package extensions

import "strings"

// Suggest returns the candidate closest to name, for a "did you mean"
// message, or "" when none is close enough. A candidate is close enough when
// its Levenshtein distance to name is at most 2 (and less than the length of
// name, so that a short name is not "corrected" into an unrelated one); the
// closest wins, the earlier candidate on a tie. Failing that, a candidate that
// name is a prefix of is returned when it is the only one ("symfony" ->
// "symfony-runtime"). Comparison is case-insensitive.
func Suggest(name string, candidates []string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return ""
	}
	best, bestDist := "", 3
	for _, c := range candidates {
		d := levenshtein(n, strings.ToLower(c))
		if d < bestDist && d < len([]rune(n)) {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return best
	}
	prefixed := ""
	for _, c := range candidates {
		if strings.HasPrefix(strings.ToLower(c), n) {
			if prefixed != "" && prefixed != c {
				return ""
			}
			prefixed = c
		}
	}
	return prefixed
}

// levenshtein is the edit distance (insertions, deletions, substitutions)
// between a and b, counted in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
