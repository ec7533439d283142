"""The message catalogs for the pages: ``GET /i18n/{lang}.json`` (``en``, ``zh`` or any
catalog's name such as ``zh_Hans``), and the Jinja2 environment every page renders with
(``t(key)``, the text in the request's language, and ``i18n_version`` as globals).

The JSON is cacheable: with ``?v=`` equal to the catalogs' hash it is immutable for a
year, otherwise it is revalidated by its ``ETag``. Any site may read it (the chat widget
runs on the customer's site).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from kefu.i18n import Catalog, Catalogs, catalogs

__all__ = ["I18nRoutes", "page_templates", "refusal", "request_catalog"]

HERE = Path(__file__).resolve().parent
YEAR_S = 365 * 24 * 3600


def page_templates(directory: Path = HERE / "templates") -> Jinja2Templates:
    """The pages' templates with the catalogs' globals: a page is rendered in the request's
    language and its script switches it (the EN/中文 button)."""
    templates = Jinja2Templates(directory=str(directory))
    shipped = catalogs()
    templates.env.globals["i18n_version"] = shipped.version
    templates.env.globals["t"] = _text
    return templates


@pass_context
def _text(context: Context, key: str, **values: object) -> str:
    """``{{ t("auth.sign_in") }}``: the text in the language of the page's request."""
    return request_catalog(context["request"]).text(key, **values)


def request_catalog(request: Request) -> Catalog:
    """The catalog a server-rendered text uses: ``?lang=``, else ``Accept-Language``."""
    return catalogs().negotiate(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )


def refusal(request: Request, key: str, status_code: int = 403) -> HTMLResponse:
    """A one-line page saying why the page is refused, in the request's language."""
    catalog = request_catalog(request)
    return HTMLResponse(
        f'<!doctype html><html lang="{catalog.bcp47}"><meta charset=utf-8><title>kefu</title>'
        f"<p>{escape(catalog.text(key))}</p></html>",
        status_code=status_code,
    )


class I18nRoutes:
    """``/i18n/{lang}.json`` over one set of catalogs."""

    def __init__(self, shipped: Catalogs | None = None) -> None:
        self.catalogs = shipped or catalogs()
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/i18n/{lang}.json", self.catalog, methods=["GET"])

    async def catalog(self, request: Request, lang: str) -> Response:
        body = self.catalogs.json(lang)  # UnknownLanguage → 404 with its reason
        tag = f'"{self.catalogs.version}-{self.catalogs.get(lang).version}"'
        fixed = request.query_params.get("v") == self.catalogs.version
        headers = {
            "ETag": tag,
            "Cache-Control": f"public, max-age={YEAR_S}, immutable" if fixed else "no-cache",
            "Access-Control-Allow-Origin": "*",
            "Vary": "Accept-Encoding",
        }
        if request.headers.get("if-none-match") == tag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json; charset=utf-8", headers=headers)
