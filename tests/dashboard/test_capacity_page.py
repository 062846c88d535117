"""The cross-client capacity list in a real Chromium."""

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncEngine

from capacity_service.kit.secrets import SecretCipher
from tests.conftest import ADMIN_TOKEN
from tests.dashboard.conftest import requires_chromium
from tests.dashboard.scenario import SeededWorkspace, seed_workspace

pytestmark = [*requires_chromium, pytest.mark.usefixtures("clean_database")]


@pytest.fixture
async def clients(engine: AsyncEngine, live_cipher: SecretCipher) -> list[SeededWorkspace]:
    """Three clients at 25%, 90% and 50% booked (DEFAULT only)."""
    seeded = []
    for name, booked, available in (
        ("Quiet Clinic", 2, 6),
        ("Packed Physio", 9, 1),
        ("Halfway Health", 4, 4),
    ):
        seeded.append(
            await seed_workspace(
                engine,
                live_cipher,
                name=name,
                default_booked=booked,
                default_available=available,
                direct_booked=0,
                direct_available=0,
            )
        )
    return seeded


async def open_list(page: Any, url: str) -> None:
    await page.goto(url)
    await page.fill("#key-input", ADMIN_TOKEN)
    await page.click("#key-form button[type=submit]")
    await expect(page.locator("body")).to_have_attribute("data-loaded", "true")


async def test_lists_workspaces_most_constrained_first(
    page: Any, live_url: str, clients: list[SeededWorkspace], artifacts: Path
) -> None:
    await open_list(page, f"{live_url}/dashboard/capacity")

    rows = page.locator("#capacity-table tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.locator("td:first-child a")).to_have_text(
        ["Packed Physio", "Halfway Health", "Quiet Clinic"]
    )
    await expect(rows.locator(".pct-combined")).to_have_text(["90%", "50%", "25%"])
    await expect(page.locator("#capacity-table tr.constrained")).to_have_count(1)
    await expect(page.locator("#list-summary")).to_contain_text("1 at or over 80%")
    await page.screenshot(path=artifacts / "dashboard-capacity-list.png", full_page=True)


async def test_threshold_is_adjustable(
    page: Any, live_url: str, clients: list[SeededWorkspace]
) -> None:
    await open_list(page, f"{live_url}/dashboard/capacity")

    await page.fill("#threshold-input", "50")
    await page.click("#list-controls button[type=submit]")

    await expect(page.locator("#capacity-table tr.constrained")).to_have_count(2)
    await expect(page.locator("#list-summary")).to_contain_text("2 at or over 50%")
    assert "threshold=50" in page.url


async def test_rows_link_to_their_workspace_dashboard(
    page: Any, live_url: str, clients: list[SeededWorkspace]
) -> None:
    packed = clients[1]
    await open_list(page, f"{live_url}/dashboard/capacity")

    await page.click("#capacity-table a:text('Packed Physio')")

    await expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    assert f"workspace={packed.id}" in page.url
    await expect(page.locator("#workspace-name")).to_have_text("Packed Physio")
    await expect(page.locator("#capacity-value")).to_have_text("90%")


async def test_page_numbers_match_the_api(
    page: Any, live_url: str, clients: list[SeededWorkspace]
) -> None:
    async with httpx.AsyncClient(base_url=live_url) as client:
        response = await client.get(
            "/v1/admin/capacity",
            params={"windowDays": 14},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
    expected = [(item["workspaceName"], item["bookedPct"]) for item in response.json()["items"]]
    await open_list(page, f"{live_url}/dashboard/capacity?window=14")

    rows = page.locator("#capacity-table tbody tr")
    await expect(rows.locator("td:first-child a")).to_have_text([name for name, _ in expected])
    await expect(rows.locator(".pct-combined")).to_have_text(
        [f"{round(pct, 1):g}%" for _, pct in expected]
    )


async def test_a_workspace_key_is_told_the_list_needs_the_admin_token(
    page: Any, live_url: str, clients: list[SeededWorkspace]
) -> None:
    await page.goto(f"{live_url}/dashboard/capacity")
    await page.fill("#key-input", clients[0].api_key)
    await page.click("#key-form button[type=submit]")

    await expect(page.locator("#page-error")).to_contain_text("admin token")
    await expect(page.locator("#capacity-table")).to_be_hidden()
