package drift

import "iter"

// paginate walks pages: fetch gets the page at cursor ("" for the first)
// and returns its items and the next cursor ("" after the last page). The
// iteration stops at the first error, which it yields.
func paginate[T any](fetch func(cursor string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		cursor := ""
		for {
			items, next, err := fetch(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" || next == cursor {
				return
			}
			cursor = next
		}
	}
}
