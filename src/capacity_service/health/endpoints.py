"""Liveness and readiness for orchestrators and load balancers."""

import asyncio

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import text

from capacity_service.migrations import current_revisions, head_revisions

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    detail: str | None = None


@router.get("/healthz")
async def healthz() -> Health:
    """The process is alive; says nothing about the database."""
    return Health(status="ok")


@router.get("/readyz", responses={503: {"model": Health, "description": "Not ready"}})
async def readyz(request: Request, response: Response) -> Health:
    """Ready when the database answers and its schema is at the migrations' head."""
    engine = request.app.state.engine
    try:
        async with asyncio.timeout(5):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            current = await current_revisions(engine)
    except Exception as exc:  # any failure to reach the database means "not ready"
        detail = f"database unreachable: {type(exc).__name__}"
        response.status_code = 503
        return Health(status="unavailable", detail=detail)
    heads = head_revisions()
    if current != heads:
        detail = f"database schema at {sorted(current) or 'nothing'}, expected {sorted(heads)}"
        response.status_code = 503
        return Health(status="unavailable", detail=detail)
    return Health(status="ok")
