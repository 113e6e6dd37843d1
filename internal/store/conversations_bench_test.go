package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// BenchmarkPostMessage posts chat messages through the store (the code path
// of the API) and, as the baseline, runs the same three statements (message
// row, conversation updatedAt, outbox event) in one raw transaction. Each
// client posts to its own conversation.
func BenchmarkPostMessage(b *testing.B) {
	ctx := context.Background()
	for _, be := range storetest.Backends() {
		for _, clients := range []int{1, 8, 32} {
			for _, raw := range []bool{false, true} {
				name := fmt.Sprintf("%s/clients=%d/%s", be.Name, clients, map[bool]string{false: "store", true: "raw"}[raw])
				b.Run(name, func(b *testing.B) {
					db := storetest.Open(b, be)
					orgID, convs := benchConversations(b, db, clients)
					post := func(i int) error {
						_, err := db.PostMessage(ctx, orgID, convs[i], conversation.Post{Body: "<p>hello</p>"})
						return err
					}
					if raw {
						post = func(i int) error { return rawPost(ctx, db, orgID, convs[i]) }
					}
					runClients(b, clients, post)
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
				})
			}
		}
	}
}

// rawPost is the database alone: one transaction of the three statements.
func rawPost(ctx context.Context, db *store.DB, orgID, convID int64) error {
	write, _ := db.Pools()
	tx, err := write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := db.Now().UnixMilli()
	if _, err := tx.ExecContext(ctx, `INSERT INTO messages (org_id, conversation_id, type, body, author_type, author_id, author_bot, created_at)
		VALUES ($1, $2, 'chat', '<p>hello</p>', 'user', 1, $3, $4)`, orgID, convID, true, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE conversations SET updated_at = $1 WHERE id = $2`, now, convID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (org_id, type, data, created_at) VALUES ($1, 'new_message', '{"id":1}', $2)`, orgID, now); err != nil {
		return err
	}
	return tx.Commit()
}

// BenchmarkLatestPage reads the latest page of 50 messages of a 200-message
// conversation, through the store and as one raw query.
func BenchmarkLatestPage(b *testing.B) {
	ctx := context.Background()
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			db := storetest.Open(b, be)
			orgID, convs := benchConversations(b, db, 1)
			for range 199 {
				if _, err := db.PostMessage(ctx, orgID, convs[0], conversation.Post{Body: "<p>hello</p>"}); err != nil {
					b.Fatal(err)
				}
			}
			all, err := db.ListMessages(ctx, orgID, convs[0], 0, 1000)
			if err != nil || len(all) != 200 {
				b.Fatalf("%d messages, %v", len(all), err)
			}
			after := all[len(all)-51].ID
			b.Run("store", func(b *testing.B) {
				runClients(b, 1, func(int) error {
					ms, err := db.ListMessages(ctx, orgID, convs[0], after, 51)
					if err == nil && len(ms) != 50 {
						err = fmt.Errorf("page of %d", len(ms))
					}
					return err
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			})
			b.Run("raw", func(b *testing.B) {
				_, read := db.Pools()
				runClients(b, 1, func(int) error {
					rows, err := read.QueryContext(ctx, `SELECT id, body, author_id, created_at FROM messages
						WHERE conversation_id = $1 AND org_id = $2 AND id > $3 ORDER BY id LIMIT 51`, convs[0], orgID, after)
					if err != nil {
						return err
					}
					defer rows.Close()
					for rows.Next() {
						var id, author, at int64
						var body string
						if err := rows.Scan(&id, &body, &author, &at); err != nil {
							return err
						}
					}
					return rows.Err()
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			})
		})
	}
}

// benchConversations makes an org with n visitor conversations.
func benchConversations(b *testing.B, db *store.DB, n int) (int64, []int64) {
	b.Helper()
	ctx := context.Background()
	o, err := db.CreateOrg(ctx, "Bench")
	if err != nil {
		b.Fatal(err)
	}
	convs := make([]int64, n)
	for i := range convs {
		c, _, err := db.StartConversation(ctx, o.ID, conversation.Start{Email: fmt.Sprintf("c%d@bench.example", i), Body: "hi"})
		if err != nil {
			b.Fatal(err)
		}
		convs[i] = c.ID
	}
	return o.ID, convs
}

// runClients runs b.N calls of fn spread over n concurrent clients; fn gets
// the client's number.
func runClients(b *testing.B, n int, fn func(client int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	b.ResetTimer()
	for c := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := fn(c); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}
