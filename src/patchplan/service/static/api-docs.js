// The API page (/api/docs): starts the vendored Swagger UI on the service's OpenAPI document.
// A file of its own, not an inline script: the content security policy allows scripts from 'self' only.
(function () {
  "use strict";
  var csrf = null;
  function start() {
    window.ui = window.SwaggerUIBundle({
      url: "/api/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      // The default validator badge is an image from another site, which the CSP refuses.
      validatorUrl: null,
      // "Try it out" runs with the signed-in session's cookie; unsafe requests need its CSRF token too.
      requestInterceptor: function (req) {
        if (csrf && req.method && req.method.toUpperCase() !== "GET") {
          req.headers["X-CSRF-Token"] = csrf;
        }
        return req;
      },
    });
  }
  function init() {
    fetch("/api/me", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (me) { csrf = me ? me.csrf : null; })
      .catch(function () { csrf = null; })
      .then(start);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
