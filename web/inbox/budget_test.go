package inbox

import "testing"

// The inbox's size budget: its script and styles together at most 30 KB
// gzipped, so the first load stays fast on a slow link.
const budget = 30 << 10

func TestBudget(t *testing.T) {
	n := len(Get("inbox.js").Gzip) + len(Get("inbox.css").Gzip)
	t.Logf("inbox JS+CSS: %d bytes gzipped (budget %d)", n, budget)
	if n > budget {
		t.Errorf("the inbox's JS and CSS are %d bytes gzipped, over the budget of %d", n, budget)
	}
}

func TestHashedNames(t *testing.T) {
	a := Get("inbox.js")
	if ByHashedName(a.HashedName()) != a || ByHashedName("inbox.js") != nil || ByHashedName("inbox.0000000000000000.js") != nil {
		t.Fatal("assets are not found by their hashed names alone")
	}
}
