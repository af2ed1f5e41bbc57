// Swagger UI's start-up, as FastAPI's /docs page has it inline: here a file of this origin,
// so that the page's Content-Security-Policy can refuse every inline script.
// The configuration (FastAPI's defaults and the app's swagger_ui_parameters) is the page's
// JSON data block; see service/docs.py.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
    .filter(Boolean);
  window.ui = SwaggerUIBundle(config);
})();
