"""The interactive API docs at ``/docs``, served without any CDN so they work offline.

Swagger UI's files come from the ``openapi-ui-bundles`` package (Swagger UI 5's own
distribution files, Apache-2.0; version 5 reads the OpenAPI 3.1 that FastAPI writes) and
are served at :data:`DOCS_ASSETS`; the page is FastAPI's
:func:`~fastapi.openapi.docs.get_swagger_ui_html` pointed at them, with the online spec
validator off. ReDoc, which FastAPI loads from a CDN, is not offered.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from openapi_ui_bundles.swagger_ui import static_path

__all__ = ["DOCS_ASSETS", "install_docs"]

DOCS_ASSETS = "/docs-assets"
"""Where Swagger UI's JavaScript and CSS are served."""


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (create the app with ``docs_url=None, redoc_url=None``)."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(static_path)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
            swagger_ui_parameters={"validatorUrl": None},  # it would call an outside site
        )

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
