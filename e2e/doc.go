// Package e2e holds tests of dns-api with the clients people run: lego as a
// library (its httpreq and acme-dns providers, and a whole certificate
// issuance from pebble, a real ACME CA for tests), certbot's manual hooks,
// ddclient and inadyn. The clients that are programs come from Debian's
// packages; a test whose program is missing skips off CI and fails on it.
package e2e
