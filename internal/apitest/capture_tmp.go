package apitest

import (
	"encoding/json"
	"os"
	"sync"
)

var captureMu sync.Mutex

func capture(method, target string, rec *recorder) bool {
	path := os.Getenv("DW_CAPTURE")
	if path == "" {
		return false
	}
	captureMu.Lock()
	defer captureMu.Unlock()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	defer f.Close()
	b := rec.body.Bytes()
	if len(b) > 3000 {
		b = b[:3000]
	}
	json.NewEncoder(f).Encode(map[string]any{"m": method, "t": target, "s": rec.status, "ct": rec.header.Get("Content-Type"), "b": string(b)})
	return true
}
