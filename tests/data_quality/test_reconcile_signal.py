"""A whole-workspace reconcile records when each provider was last read back."""

import respx
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.data_quality.service import workspace_data_quality
from capacity_service.kit.secrets import SecretCipher
from capacity_service.providers import ProviderClients
from capacity_service.reconcile.service import reconcile_workspace
from tests.bookings.stubs import GHL_BASE
from tests.factories import make_workspace


async def test_a_workspace_reconcile_sets_the_last_reconcile_time_of_its_provider(
    session: AsyncSession, cipher: SecretCipher, providers: ProviderClients
) -> None:
    workspace = await make_workspace(
        session, cipher, ghl_access_token="ghl-token", ghl_location_id="loc-dq-reconcile"
    )
    before = await workspace_data_quality(session, workspace)

    with respx.mock(base_url=GHL_BASE) as ghl:
        ghl.get("/calendars/").respond(200, json={"calendars": []})
        await reconcile_workspace(session, providers, cipher, workspace)

    after = await workspace_data_quality(session, workspace)
    assert before.providers[0].last_reconcile_iso is None
    assert after.providers[0].provider.value == "ghl"
    assert after.providers[0].last_reconcile_iso is not None
    assert after.providers[0].last_reconcile_errors == 0
    assert after.providers[1].last_reconcile_iso is None
