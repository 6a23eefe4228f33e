package main

import (
	"bytes"
	"flag"
	"testing"

	"github.com/stretchr/testify/assert"
)

// -h is a question, answered on success (main exits 0 on flag.ErrHelp).
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	assert.ErrorIs(t, run([]string{"-h"}, &out), flag.ErrHelp)
	assert.Error(t, run([]string{"-bogus"}, &out))
	assert.NotErrorIs(t, run([]string{"-bogus"}, &out), flag.ErrHelp)
}
