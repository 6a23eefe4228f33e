package e2e

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/go-acme/lego/v5/acme"
	"github.com/go-acme/lego/v5/certcrypto"
	"github.com/go-acme/lego/v5/certificate"
	"github.com/go-acme/lego/v5/challenge/dns01"
	"github.com/go-acme/lego/v5/lego"
	"github.com/go-acme/lego/v5/registration"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/auth"
)

// acmeUser is an ACME account for lego.
type acmeUser struct {
	key crypto.Signer
	reg *acme.ExtendedAccount
}

func (u *acmeUser) GetEmail() string                       { return "" }
func (u *acmeUser) GetRegistration() *acme.ExtendedAccount { return u.reg }
func (u *acmeUser) GetPrivateKey() crypto.Signer           { return u.key }

// TestIssuanceWithLego obtains a certificate for a name and its wildcard
// from pebble, as a lego user does, through dns-api's httpreq endpoints
// with a token that may answer challenges for that name only.
func TestIssuanceWithLego(t *testing.T) {
	s := startService(t, "www")
	ca := startPebble(t, s.dnsResponder(t))
	t.Setenv("LEGO_CA_CERTIFICATES", ca.certFile)
	t.Setenv("LEGO_DISABLE_CNAME_SUPPORT", "true")

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	user := &acmeUser{key: key}
	cfg := lego.NewConfig(user)
	cfg.CADirURL = ca.directory
	client, err := lego.NewClient(cfg)
	require.NoError(t, err)
	tok := token(t, auth.Claims{Name: "certificates for api", Scope: "dns:write", Subdomains: []string{"api"}, Types: []string{"TXT"}})
	// The challenge records are read from the service's DNSimple at once:
	// no propagation to wait for here.
	require.NoError(t, client.Challenge.SetDNS01Provider(legoHTTPReq(t, s, tok, ""), dns01.PropagationWait(0, true)))

	ctx := context.Background()
	user.reg, err = client.Registration.Register(ctx, registration.RegisterOptions{TermsOfServiceAgreed: true})
	require.NoError(t, err)
	res, err := client.Certificate.Obtain(ctx, certificate.ObtainRequest{
		Domains: []string{"api.example.com", "*.api.example.com"}, Bundle: true, KeyType: certcrypto.EC256,
	})
	require.NoError(t, err)

	block, _ := pem.Decode(res.Certificate)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"api.example.com", "*.api.example.com"}, cert.DNSNames)
	assert.Empty(t, s.values("example.com", "_acme-challenge.api", "TXT"), "no challenge value is left behind")

	// The same token cannot get a certificate for a name it may not touch.
	_, err = client.Certificate.Obtain(ctx, certificate.ObtainRequest{Domains: []string{"www.example.com"}, KeyType: certcrypto.EC256})
	assert.Error(t, err)
}
