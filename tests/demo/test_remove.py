"""`capacity-service demo --remove` deletes the demo's workspaces and never a client's."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.demo.plan import DEMO_WORKSPACE_NAME
from capacity_service.demo.service import remove_demo_workspaces
from capacity_service.models import Workspace
from tests.factories import make_workspace


async def test_remove_deletes_demo_workspaces_and_nothing_else(
    session: AsyncSession,
) -> None:
    await make_workspace(session, name=DEMO_WORKSPACE_NAME, ghl_location_id="demo-sunrise-dental")
    lookalike = await make_workspace(session, name="Demo — A real client named Demo")
    marked_only_by_location = await make_workspace(session, ghl_location_id="demo-but-real")

    removed = await remove_demo_workspaces(session)

    assert removed == [DEMO_WORKSPACE_NAME]
    names = set(await session.scalars(select(Workspace.name)))
    assert {lookalike.name, marked_only_by_location.name} <= names
    assert DEMO_WORKSPACE_NAME not in names
