"""Who may see the pages, the login form, and how domain errors read in a browser.

Pages are as public as the API's reads (``TRACKER_PUBLIC_READS``). When reads need a token, a
page accepts it as the API does (``Authorization: Bearer …``) or from the ``tracker_token``
cookie that the login form sets; the check itself is the API's ``read_access``. The cookie is
only ever read for page views: writes (triage) send the bearer token from the browser's
sessionStorage, so the cookie cannot be used to change anything.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials

from tracker.api.dashboard.rendering import render
from tracker.api.deps import (
    CredentialsDep,
    SessionDep,
    SettingsDep,
    Unauthenticated,
    read_access,
)
from tracker.errors import InvalidQuery, NotFound
from tracker.tokens import authenticate

TOKEN_COOKIE = "tracker_token"  # noqa: S105 (the cookie's name, not a secret)
LOGIN_PATH = "/login"


def page_read_access(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    credentials: CredentialsDep,
) -> None:
    """``read_access`` with the login cookie standing in for a missing Authorization header."""
    cookie = request.cookies.get(TOKEN_COOKIE)
    if credentials is None and cookie:
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=cookie)
    read_access(settings, session, credentials)


class PageRoute(APIRoute):
    """A page route: a missing login sends the browser to the login form, and a domain error
    renders as an HTML page with the API's status code."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_page(request: Request) -> Response:
            try:
                return await handle(request)
            except Unauthenticated:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"{LOGIN_PATH}?next={quote(target)}", status_code=303)
            except NotFound as error:
                return _error_page(request, 404, "Not found", [str(error)])
            except InvalidQuery as error:
                messages = [f"{field.loc[-1]}: {field.msg}" for field in error.errors]
                return _error_page(request, 422, "That view cannot be shown", messages)

        return handle_page


def _error_page(request: Request, status: int, title: str, messages: list[str]) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"title": title, "messages": messages, "active": None},
        status_code=status,
    )


def page_router() -> APIRouter:
    """A router for pages: read access checked, HTML errors, left out of the OpenAPI document."""
    return APIRouter(
        route_class=PageRoute,
        include_in_schema=False,
        dependencies=[Depends(page_read_access)],
        default_response_class=HTMLResponse,
    )


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def _safe_next(raw: str | None) -> str:
    """Only paths on this site: an open redirect would let a link log people in elsewhere."""
    if raw and raw.startswith("/") and not raw.startswith("//"):
        return raw
    return "/"


@router.get(LOGIN_PATH)
def login_form(
    request: Request, next_path: Annotated[str | None, Query(alias="next")] = None
) -> HTMLResponse:
    return render(
        request, "login.html", {"next": _safe_next(next_path), "error": None, "active": "login"}
    )


@router.post(LOGIN_PATH)
async def login(request: Request, session: SessionDep) -> Response:
    """Check the token from the form; on success keep it in an HttpOnly cookie and go on."""
    form = parse_qs((await request.body()).decode())
    raw_token = (form.get("token") or [""])[0].strip()
    next_path = _safe_next((form.get("next") or ["/"])[0])
    if not raw_token or authenticate(session=session, raw_token=raw_token) is None:
        return render(
            request,
            "login.html",
            {"next": next_path, "error": "That token is not known.", "active": "login"},
            status_code=401,
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        TOKEN_COOKIE,
        raw_token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response
