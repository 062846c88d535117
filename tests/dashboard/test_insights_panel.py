"""The capacity insights on the workspace page in a real Chromium: forecast line, minutes,
heatmap and the what-if form, each showing what the JSON API says."""

from typing import Any

import httpx
import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncEngine

from capacity_service.kit.secrets import SecretCipher
from tests.dashboard.conftest import requires_chromium
from tests.dashboard.scenario import SeededWorkspace, seed_workspace

pytestmark = [*requires_chromium, pytest.mark.usefixtures("clean_database")]


def as_shown(pct: float | None) -> str:
    return "–" if pct is None else f"{round(pct, 1):g}%"


@pytest.fixture
async def workspace(engine: AsyncEngine, live_cipher: SecretCipher) -> SeededWorkspace:
    return await seed_workspace(
        engine,
        live_cipher,
        name="Harbor Physio",
        default_booked=6,
        default_available=10,
        direct_booked=2,
        direct_available=4,
    )


async def view(live_url: str, workspace: SeededWorkspace, name: str) -> Any:
    async with httpx.AsyncClient(base_url=live_url) as client:
        response = await client.get(
            f"/v1/workspaces/{workspace.id}/capacity/{name}",
            headers={"Authorization": f"Bearer {workspace.api_key}"},
        )
    assert response.status_code == 200
    return response.json()


async def test_insights_show_forecast_minutes_heatmap_and_answer_a_what_if(
    page: Any, live_url: str, workspace: SeededWorkspace
) -> None:
    forecast = await view(live_url, workspace, "forecast")
    minutes = await view(live_url, workspace, "minutes")

    await page.goto(f"{live_url}/dashboard")
    await page.fill("#key-input", workspace.api_key)
    await page.click("#key-form button[type=submit]")
    await expect(page.locator("body")).to_have_attribute("data-insights-loaded", "true")

    await expect(page.locator("#forecast-value")).to_have_text(
        as_shown(forecast["projectedBookedPct"])
    )
    await expect(page.locator("#minutes-value")).to_have_text(as_shown(minutes["bookedMinutesPct"]))
    await expect(page.locator("#chart .forecast-line")).to_have_count(1)
    await expect(page.locator("#heatmap .hm-cell")).to_have_count(168)

    await page.select_option("#whatif-form select[name=weekday]", "3")
    await page.click("#whatif-form button[type=submit]")
    await expect(page.locator("#whatif-result")).to_contain_text("Nothing was changed.")
