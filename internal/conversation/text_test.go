package conversation

import "testing"

func TestDisplayText(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		"<p>Hi! <b>Which plan</b> are you on?</p>": "Hi! Which plan are you on?",
		"&lt;img src=x onerror=alert(1)&gt; hello": "<img src=x onerror=alert(1)> hello",
		"<p>one</p><p>two</p>":                     "one\n\ntwo",
		"line<br>next":                             "line\nnext",
		"<script>alert(1)</script>":                "alert(1)",
		"plain &amp;amp; text":                     "plain &amp; text",
	} {
		if got := DisplayText(body); got != want {
			t.Errorf("DisplayText(%q) = %q, want %q", body, got, want)
		}
	}
}
