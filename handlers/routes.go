package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// addRoutes is the whole API on one screen. Every route but the health
// check goes through requireToken, and only then is a body read (so a
// client without a token cannot hold a connection with a slow one); what
// a token may then do is decided by the records package's permission check
// inside each operation. Routes that call DNSimple read their query
// strictly and get the request's deadline.
func addRoutes(e *echo.Echo, deps Deps) {
	svc := deps.Records
	token := func(source tokenSource) echo.MiddlewareFunc {
		return requireToken(deps.Verifier, deps.Logger, deps.Metrics, source)
	}
	deadline := middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{
		Timeout: deps.RequestTimeout,
		// Let the error handler map a deadline to 504.
		ErrorHandler: func(err error, _ echo.Context) error { return err },
	})
	local := []echo.MiddlewareFunc{token(bearerToken)}
	api := []echo.MiddlewareFunc{token(bearerToken), limitBody, strictQuery, deadline}
	acme := []echo.MiddlewareFunc{token(acmeToken), limitBody, strictQuery, deadline}

	e.Match([]string{http.MethodGet, http.MethodHead}, "/", handleHealth(deps.SharedStateUp))
	e.GET("/openapi.json", handleOpenAPI())
	e.GET("/metrics", handleMetrics(deps.Metrics.Handler()), local...)

	e.GET("/whoami", handleWhoami(svc), local...)
	e.GET("/domains", handleDomains(svc), local...)

	e.GET("/records", handleListRecords(svc), api...)
	e.POST("/records", handleCreateRecord(svc), api...)
	e.GET("/records/:id", handleGetRecord(svc), api...)
	e.PATCH("/records/:id", handleUpdateRecord(svc), api...)
	e.DELETE("/records/:id", handleDeleteRecord(svc), api...)
	e.GET("/records/:type/:domain/:subdomain", handleLookup(svc), api...)
	e.POST("/records/:type/:domain/:subdomain/:to", handleUpsert(svc), api...)
	e.DELETE("/records/:type/:domain/:subdomain", handleDeleteSet(svc), api...)

	// Client protocols: the same operations, their clients' credentials
	// and answers.
	e.POST("/acme/present", handleACME(svc, true), acme...)
	e.POST("/acme/cleanup", handleACME(svc, false), acme...)
	e.POST("/acme-dns/update", handleACMEDNSUpdate(svc),
		renderErrors(renderACMEDNSError), token(acmeDNSToken), limitBody, strictQuery, deadline)
	e.Match([]string{http.MethodGet, http.MethodPost}, "/nic/update", handleNicUpdate(svc),
		renderErrors(renderDyndnsError), token(dyndnsToken), limitBody, strictQuery, deadline)
}
