package widget

import (
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/web/asset"
)

// The widget's size budgets (issue 17): the loader a site's page runs is
// at most 5 KB gzipped, with the per-widget settings the server appends;
// the chat frame's script and styles together at most 60 KB gzipped.
const (
	loaderBudget = 5 << 10
	frameBudget  = 60 << 10
)

func TestBudgets(t *testing.T) {
	t.Parallel()
	cfg := `({"embedId":"1-0123456789ab","base":"https://chat.example.com","frameUrl":"https://chat.example.com/widget/frame/1-0123456789ab",` +
		`"color":"#0b63f6","position":"right","title":"Chat with us","isOnline":true,"teamAvailability":{"12":{"isOnline":true},"13":{"isOnline":false}},` +
		`"allowed":["https://chat.example.com","https://www.example.com","https://app.example.com"]});`
	loader := len(asset.Compress(append(append([]byte{}, Get("loader.js").Raw...), cfg...)))
	frame := len(Get("frame.js").Gzip) + len(Get("frame.css").Gzip)
	t.Logf("loader %d bytes gzipped (budget %d); frame JS+CSS %d (budget %d)", loader, loaderBudget, frame, frameBudget)
	if loader > loaderBudget {
		t.Errorf("the loader is %d bytes gzipped, over its budget of %d", loader, loaderBudget)
	}
	if frame > frameBudget {
		t.Errorf("the frame's JS and CSS are %d bytes gzipped, over their budget of %d", frame, frameBudget)
	}
}

// The assets' URLs name their content, so a new build never meets a stale
// cached copy.
func TestHashedNames(t *testing.T) {
	t.Parallel()
	a := Get("frame.js")
	if got := ByHashedName(a.HashedName()); got != a || !strings.Contains(a.HashedName(), a.Hash) {
		t.Fatalf("%s does not find its asset", a.HashedName())
	}
	if ByHashedName("frame.0000000000000000.js") != nil || ByHashedName("frame.js") != nil {
		t.Fatal("a name without the current hash finds an asset")
	}
}
