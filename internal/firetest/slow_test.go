package firetest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/app"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// Many connections trickling their requests a byte at a time (headers, or
// a body) do not starve normal requests, and the server cuts every one of
// them off (ReadHeaderTimeout, ReadTimeout) rather than hold it forever.
// 300 tricklers in CI; the long form has 3000.
func TestSlowClients(t *testing.T) {
	skipIfShort(t)
	tricklers := 300
	if long {
		tricklers = 3000
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := apitest.Start(t, b)
		limits := app.DefaultHTTP
		limits.ReadHeaderTimeout, limits.ReadTimeout = 500*time.Millisecond, time.Second
		url := serveWith(t, e.App, limits)

		var cut atomic.Int64 // connections the server closed on a trickler
		cuts := make([]atomic.Int64, tricklers)
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for i := range tricklers {
			wg.Go(func() {
				for ctx.Err() == nil {
					if trickle(ctx, url[len("http://"):], e.Token, i%2 == 0) {
						cut.Add(1)
						cuts[i].Add(1)
					}
				}
			})
		}

		// Normal requests, for at least three header timeouts, each answered
		// well before a generous deadline.
		client := &http.Client{Timeout: 15 * time.Second}
		n := 0
		for start := time.Now(); n < 50 || time.Since(start) < 4*limits.ReadTimeout; n++ {
			req, _ := http.NewRequest("GET", url+"/contacts?email=jane@acme.example", nil)
			req.Header.Set("Authorization", "Bearer "+e.Token)
			r, err := client.Do(req)
			if err != nil {
				t.Fatalf("normal request %d among %d tricklers: %v", n, tricklers, err)
			}
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if r.StatusCode != 200 {
				t.Fatalf("normal request %d: %d", n, r.StatusCode)
			}
		}
		stop()
		wg.Wait()
		for i := range cuts {
			if cuts[i].Load() == 0 {
				t.Errorf("trickler %d was never cut off", i)
				break
			}
		}
		t.Logf("%d normal requests answered among %d tricklers; the server cut %d trickling connections", n, tricklers, cut.Load())
	})
}

// serveWith serves a on a new listener with limits, as driftwood serve
// does, until the test ends; it returns the base URL.
func serveWith(t *testing.T, a *app.App, limits app.HTTPLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.HTTP = limits
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// trickle opens a connection and sends a request a byte every 50 ms (its
// headers, or with inBody its body) until ctx ends or the server closes
// the connection, which it reports.
func trickle(ctx context.Context, addr, token string, inBody bool) bool {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		time.Sleep(50 * time.Millisecond) // out of descriptors or backlog: try again
		return false
	}
	defer c.Close()
	head := "POST /contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nContent-Type: application/json\r\n"
	slow := "X-Slow: trickle-trickle-trickle-trickle-trickle-trickle-trickle\r\n\r\n"
	if inBody {
		head += "Content-Length: 100000\r\n\r\n"
		slow = `{"attributes":{"email":"trickle@x.example","name":"` + fmt.Sprint(make([]int, 2000)) + `"}}`
	}
	if _, err := io.WriteString(c, head); err != nil {
		return true
	}
	closed := make(chan struct{})
	go func() { // the server's answer (a 408 or 400) or its close
		io.Copy(io.Discard, c)
		close(closed)
	}()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return false
		case <-closed:
			return true
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := c.Write([]byte{slow[i%len(slow)]}); err != nil {
			return true
		}
	}
}

// N goroutines hammering one token get at most burst + rate × elapsed
// successes, and every refusal is a 429 with a Retry-After of whole seconds.
func TestRateLimitUnderConcurrency(t *testing.T) {
	skipIfShort(t)
	const rate, burst, workers = 20.0, 10, 16
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := apitest.Start(t, b, apitest.WithConfig(func(c *config.Config) { c.RateLimit, c.RateBurst = rate, burst }))
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for time.Since(start) < 1500*time.Millisecond {
					req, _ := http.NewRequest("GET", e.URL+"/contacts?email=jane@acme.example", nil)
					req.Header.Set("Authorization", "Bearer "+e.Token)
					r, err := e.Server.Client().Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, r.Body)
					r.Body.Close()
					switch s, err := strconv.Atoi(r.Header.Get("Retry-After")); {
					case r.StatusCode == 200:
						ok.Add(1)
					case r.StatusCode == http.StatusTooManyRequests && err == nil && s >= 1:
						refused.Add(1)
					default:
						t.Errorf("%d with Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
						return
					}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		allowed := burst + int64(rate*elapsed.Seconds())
		if ok.Load() > allowed {
			t.Errorf("%d requests succeeded in %v; the limit allows at most %d", ok.Load(), elapsed, allowed)
		}
		if refused.Load() == 0 {
			t.Errorf("no request was refused: %d succeeded in %v", ok.Load(), elapsed)
		}
		t.Logf("%d succeeded, %d refused in %v (at most %d allowed)", ok.Load(), refused.Load(), elapsed, allowed)
	})
}
