package state_test

import (
	"testing"

	"github.com/dns-api/dns-api/state"
	"github.com/dns-api/dns-api/state/statetest"
)

func TestMemoryContract(t *testing.T) {
	t.Parallel()
	statetest.Run(t, func(*testing.T) (state.Store, state.Store) {
		m := state.NewMemory(nil)
		return m, m // one process: both views are the same store
	})
}
