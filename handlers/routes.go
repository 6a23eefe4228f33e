package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// addRoutes is the whole API on one screen. Every route but the health
// check goes through requireToken, and only then is a body read (so a
// client without a token cannot hold a connection with a slow one); what
// a token may then do is decided by the records package's permission check
// inside each operation.
func addRoutes(e *echo.Echo, deps Deps) {
	token := []echo.MiddlewareFunc{requireToken(deps.Verifier, deps.Logger, bearer), limitBody}
	svc := deps.Records

	e.Match([]string{http.MethodGet, http.MethodHead}, "/", handleHealth())

	e.GET("/whoami", handleWhoami(svc), token...)
	e.GET("/domains", handleDomains(svc), token...)

	e.GET("/records", handleListRecords(svc), token...)
	e.POST("/records", handleCreateRecord(svc), token...)
	e.GET("/records/:id", handleGetRecord(svc), token...)
	e.PATCH("/records/:id", handleUpdateRecord(svc), token...)
	e.DELETE("/records/:id", handleDeleteRecord(svc), token...)
	e.POST("/records/:type/:domain/:subdomain/:to", handleUpsert(svc), token...)
	e.DELETE("/records/:type/:domain/:subdomain", handleDeleteSet(svc), token...)

	// Client protocols: the same operations, their clients' credentials
	// and answers.
	acme := []echo.MiddlewareFunc{requireToken(deps.Verifier, deps.Logger, bearerOrBasic), limitBody}
	e.POST("/acme/present", handleACME(svc, true), acme...)
	e.POST("/acme/cleanup", handleACME(svc, false), acme...)
	e.POST("/acme-dns/update", handleACMEDNSUpdate(svc),
		renderErrors(renderACMEDNSError), requireToken(deps.Verifier, deps.Logger, apiKey), limitBody)
	e.Match([]string{http.MethodGet, http.MethodPost}, "/nic/update", handleNicUpdate(svc),
		renderErrors(renderDyndnsError), requireToken(deps.Verifier, deps.Logger, bearerOrBasic), limitBody)
}
