"""Several admin tokens at once, so the token can be rotated without downtime."""

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import make_api_key, make_workspace

from capacity_service.auth import is_admin_token
from capacity_service.config import Settings

OLD = "old-admin-token-0123456789"
NEW = "new-admin-token-9876543210"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"admin_token": SecretStr(f"{NEW}, {OLD}")})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_every_listed_admin_token_is_admin(client: httpx.AsyncClient) -> None:
    for token in (OLD, NEW):
        response = await client.get("/v1/admin/workspaces", headers=_bearer(token))
        assert response.status_code == 200, response.text


async def test_a_token_not_in_the_list_is_401(client: httpx.AsyncClient) -> None:
    for token in ("not-a-token", f"{NEW}, {OLD}", f"{NEW},{OLD}", NEW[:-1]):
        response = await client.get("/v1/admin/workspaces", headers=_bearer(token))
        assert response.status_code == 401, token


async def test_every_listed_admin_token_reaches_any_workspace(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    for token in (OLD, NEW):
        response = await client.get(f"/v1/workspaces/{workspace.id}/leads", headers=_bearer(token))
        assert response.status_code == 200, response.text


async def test_me_reports_admin_for_every_listed_token_and_a_key_stays_a_key(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    key = await make_api_key(session, workspace)
    for token in (OLD, NEW):
        assert (await client.get("/v1/me", headers=_bearer(token))).json()["admin"] is True
    me = (await client.get("/v1/me", headers=_bearer(key))).json()
    assert me["admin"] is False
    assert (await client.get("/v1/admin/workspaces", headers=_bearer(key))).status_code == 403


def test_settings_split_the_admin_tokens_on_commas_ignoring_blanks() -> None:
    settings = Settings(admin_token=SecretStr(" a ,b,, c"))
    assert settings.admin_tokens == ["a", "b", "c"]
    assert Settings().admin_tokens == []


def test_is_admin_token_compares_whole_tokens_only() -> None:
    assert is_admin_token("b", ["a", "b"])
    assert not is_admin_token("", ["a", "b"])
    assert not is_admin_token("a,b", ["a", "b"])
    assert not is_admin_token("a", [])
