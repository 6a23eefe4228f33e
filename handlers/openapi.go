package handlers

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPI describes this API in OpenAPI 3.1. The end-to-end tests check
// every request they send and every answer they get against it, so that
// it cannot drift from the code.
//
//go:embed openapi.json
var openAPI []byte

func handleOpenAPI() echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPI)
	}
}
