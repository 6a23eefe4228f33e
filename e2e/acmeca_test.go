package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"
)

// dnsResponder answers DNS queries over UDP on a loopback port from the
// emulator's records, as DNSimple's name servers would: the
// authoritative side of an ACME DNS-01 validation.
func (s *service) dnsResponder(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		if len(q.Question) == 1 && q.Question[0].Qtype == dns.TypeTXT {
			name := strings.ToLower(q.Question[0].Name)
			for _, zone := range []string{"example.com", "example.org"} {
				relative, ok := strings.CutSuffix(name, "."+zone+".")
				if !ok {
					continue
				}
				for _, v := range s.values(zone, relative, "TXT") {
					m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{v}})
				}
			}
		}
		_ = w.WriteMsg(m) // NOERROR, with or without answers
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// acmeCA is pebble, a real ACME CA for tests, validating DNS-01 against a
// DNS server.
type acmeCA struct {
	directory string // the ACME directory URL
	certFile  string // the CA's HTTPS certificate, to trust
}

// startPebble runs Debian's pebble with a fresh HTTPS certificate (the
// package ships none), asking dnsServer for challenge records.
func startPebble(t *testing.T, dnsServer string) acmeCA {
	t.Helper()
	pebble := program(t, "pebble", "pebble")
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	listen, management := freeAddr(t), freeAddr(t)
	config, err := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": management,
		"certificate": certFile, "privateKey": keyFile,
		"httpPort": 5002, "tlsPort": 5001, "ocspResponderURL": "", "externalAccountBindingRequired": false,
	}})
	require.NoError(t, err)
	configFile := filepath.Join(dir, "pebble.json")
	require.NoError(t, os.WriteFile(configFile, config, 0o600))

	cmd := exec.Command(pebble, "-config", configFile, "-dnsserver", dnsServer)
	// No random sleeps, no nonce rejections, and every order validated
	// afresh (pebble reuses half of earlier authorizations by default).
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	logs := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("pebble:\n%s", logs)
		}
	})
	ca := acmeCA{directory: "https://" + listen + "/dir", certFile: certFile}
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(certFile)
	require.NoError(t, err)
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: time.Second}
	require.Eventually(t, func() bool {
		resp, err := client.Get(ca.directory)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond, "pebble did not start")
	return ca
}

// selfSigned writes a certificate and key for 127.0.0.1 and localhost.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

// freeAddr is a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return fmt.Sprint(l.Addr())
}
