"""The dashboard pages and their static files, and `GET /v1/me` that the pages start from.

The HTML and JavaScript are public: they hold no data. Every number comes from the JSON API,
fetched by the page with the key the person typed in, so the pages need no session or cookie
of their own and show exactly what any other client of the API would see.
"""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from capacity_service import __version__
from capacity_service.auth import BearerDep
from capacity_service.dashboard import service
from capacity_service.dashboard.schemas import CallerRead
from capacity_service.db import SessionDep
from capacity_service.exceptions import Unauthorized, error_responses
from capacity_service.kit.dependencies import SettingsDep

HERE = Path(__file__).parent
WINDOW_CHOICES = (7, 14, 30, 60, 90)

# Only this origin: pages work where the internet is unreachable, and nothing leaks elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

templates = Jinja2Templates(directory=HERE / "templates")

router = APIRouter(include_in_schema=False)
router.mount("/dashboard/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")


def _page(request: Request, template: str, title: str) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    response = templates.TemplateResponse(
        request,
        template,
        {
            "title": title,
            "root": root,
            "static": f"{root}/dashboard/static",
            "version": __version__,
            "windows": WINDOW_CHOICES,
        },
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/dashboard", response_class=HTMLResponse)
async def workspace_page(request: Request) -> HTMLResponse:
    """One workspace's KPI cards; `?workspace=<id>` or the workspace of the key."""
    return _page(request, "workspace.html", "Workspace capacity")


@router.get("/dashboard/capacity", response_class=HTMLResponse)
async def capacity_page(request: Request) -> HTMLResponse:
    """Every workspace, most constrained first (admin token)."""
    return _page(request, "capacity.html", "Capacity across clients")


me_router = APIRouter(prefix="/v1", tags=["caller"])


@me_router.get("/me", responses=error_responses(Unauthorized))
async def read_caller(
    session: SessionDep,
    settings: SettingsDep,
    credentials: BearerDep,
) -> CallerRead:
    """Who the token is: the admin, or a workspace key and its workspace."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("missing credentials: send 'Authorization: Bearer <token>'")
    return await service.describe_caller(session, credentials.credentials, settings.admin_tokens)
