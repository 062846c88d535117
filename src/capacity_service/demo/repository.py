from collections.abc import Sequence

from sqlalchemy import select

from capacity_service.demo import DEMO_LOCATION_PREFIX, DEMO_NAME_PREFIX
from capacity_service.kit.repository import Repository
from capacity_service.models import Workspace


class DemoRepository(Repository):
    async def demo_workspaces(self) -> Sequence[Workspace]:
        """Workspaces made by the demo: both the name and the location id carry its mark, so a
        real client named "Demo …" is never taken for one."""
        rows = await self.session.scalars(
            select(Workspace).where(
                Workspace.name.startswith(DEMO_NAME_PREFIX, autoescape=True),
                Workspace.ghl_location_id.startswith(DEMO_LOCATION_PREFIX, autoescape=True),
            )
        )
        return rows.all()
