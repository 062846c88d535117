"""Removing the demo's data: the demo workspaces and, by cascade, everything in them."""

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.demo.repository import DemoRepository
from capacity_service.workspaces.repository import WorkspaceRepository


async def remove_demo_workspaces(session: AsyncSession) -> list[str]:
    """Delete every demo workspace; the names of those deleted."""
    removed = []
    for workspace in await DemoRepository(session).demo_workspaces():
        removed.append(workspace.name)
        await WorkspaceRepository(session).delete(workspace)
    return removed
