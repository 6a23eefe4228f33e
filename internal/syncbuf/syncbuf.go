// Package syncbuf is a buffer that many goroutines may write at once, for
// tests that collect what a running server logs or prints.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer collects writes; String returns what it holds so far.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
