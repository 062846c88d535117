"""The workspace dashboard in a real Chromium: the Capacity card, its tooltip, the chart."""

from datetime import timedelta
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

UNATTRIBUTED_NOTE = (
    "These may be historical bookings waiting for backfill or bookings on calendars not "
    "configured here."
)


def as_shown(pct: float | None) -> str:
    """How the page prints a percentage: one decimal at most, no trailing zero."""
    return "–" if pct is None else f"{round(pct, 1):g}%"


async def sign_in(page: Any, url: str, key: str) -> None:
    await page.goto(url)
    await page.fill("#key-input", key)
    await page.click("#key-form button[type=submit]")
    await expect(page.locator("body")).to_have_attribute("data-loaded", "true")


async def analytics(live_url: str, workspace: SeededWorkspace, window_days: int = 30) -> Any:
    async with httpx.AsyncClient(base_url=live_url) as client:
        response = await client.get(
            f"/v1/workspaces/{workspace.id}/analytics",
            params={"windowDays": window_days},
            headers={"Authorization": f"Bearer {workspace.api_key}"},
        )
    response.raise_for_status()
    return response.json()


@pytest.fixture
async def workspace(engine: AsyncEngine, live_cipher: SecretCipher) -> SeededWorkspace:
    return await seed_workspace(
        engine,
        live_cipher,
        name="Sunrise Dental",
        default_booked=12,
        default_available=18,
        direct_booked=3,
        direct_available=9,
        unattributed=2,
    )


async def test_capacity_card_shows_the_apis_booked_pct(
    page: Any, live_url: str, workspace: SeededWorkspace
) -> None:
    expected = (await analytics(live_url, workspace))["capacity"]
    assert expected["bookedPct"] is not None

    await sign_in(page, f"{live_url}/dashboard", workspace.api_key)

    card_value = page.locator("#capacity-value")
    await expect(card_value).to_have_text(as_shown(expected["bookedPct"]))
    await expect(card_value).to_have_attribute("data-booked-pct", str(expected["bookedPct"]))
    await expect(page.locator("#capacity-title")).to_have_text("Capacity (30d)")
    await expect(page.locator("#workspace-name")).to_have_text("Sunrise Dental")


async def test_tooltip_opens_on_hover_with_the_full_breakdown(
    page: Any, live_url: str, workspace: SeededWorkspace, artifacts: Path
) -> None:
    capacity = (await analytics(live_url, workspace))["capacity"]
    await sign_in(page, f"{live_url}/dashboard", workspace.api_key)
    tooltip = page.locator("#capacity-tooltip")
    await expect(tooltip).to_be_hidden()

    await page.hover("#capacity-card")

    await expect(tooltip).to_be_visible()
    await expect(page.locator("#tt-booked")).to_have_text(str(capacity["bookedSlots"]))
    await expect(page.locator("#tt-available")).to_have_text(str(capacity["availableSlots"]))
    await expect(page.locator("#tt-total")).to_have_text(str(capacity["totalSlots"]))
    for source in ("DEFAULT", "DIRECT_BOOK"):
        figures = capacity["breakdown"][source]
        panel = page.locator(f"#tt-source-{source}")
        await expect(panel).to_contain_text(source)
        await expect(panel.locator(".pct")).to_have_text(as_shown(figures["bookedPct"]))
        await expect(panel).to_contain_text(figures["identifier"])
    default_box = await page.locator("#tt-source-DEFAULT").bounding_box()
    direct_box = await page.locator("#tt-source-DIRECT_BOOK").bounding_box()
    assert default_box["x"] + default_box["width"] <= direct_box["x"], "side by side"
    assert abs(default_box["y"] - direct_box["y"]) < 1
    unattributed = page.locator("#tt-unattributed")
    count = capacity["unattributedBookedSlots"]
    await expect(unattributed).to_contain_text(f"{count} unattributed")
    await expect(unattributed).to_contain_text(UNATTRIBUTED_NOTE)
    await expect(page.locator("#tooltip-warning")).to_be_hidden()

    await page.screenshot(path=artifacts / "dashboard-workspace-tooltip.png", full_page=True)

    await page.mouse.move(1, 900)
    await expect(tooltip).to_be_hidden()


async def test_tooltip_opens_on_keyboard_focus_and_closes_on_escape(
    page: Any, live_url: str, workspace: SeededWorkspace
) -> None:
    await sign_in(page, f"{live_url}/dashboard", workspace.api_key)
    card = page.locator("#capacity-card")
    tooltip = page.locator("#capacity-tooltip")
    await expect(card).to_have_attribute("aria-describedby", "capacity-tooltip")
    await expect(tooltip).to_have_attribute("role", "tooltip")

    for _ in range(20):  # reach the card with the keyboard, as a person would
        await page.keyboard.press("Tab")
        if await card.evaluate("node => node === document.activeElement"):
            break
    else:
        pytest.fail("the Capacity card cannot be reached with Tab")

    await expect(tooltip).to_be_visible()
    await expect(page.locator("#tt-source-DIRECT_BOOK")).to_contain_text("DIRECT_BOOK")
    await page.keyboard.press("Escape")
    await expect(tooltip).to_be_hidden()


async def test_stale_cache_shows_a_warning_on_card_and_page(
    page: Any, live_url: str, engine: AsyncEngine, live_cipher: SecretCipher, artifacts: Path
) -> None:
    stale = await seed_workspace(
        engine,
        live_cipher,
        name="Stale Smiles",
        default_booked=4,
        default_available=4,
        direct_booked=1,
        direct_available=3,
        fetched_ago=timedelta(hours=5),
        last_error="HighLevel answered 503: Service Unavailable",
    )
    capacity = (await analytics(live_url, stale))["capacity"]
    assert capacity["cacheMeta"]["isStale"] is True

    await sign_in(page, f"{live_url}/dashboard?workspace={stale.id}", stale.api_key)

    banner = page.locator("#stale-banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("out of date")
    await expect(banner).to_contain_text("503")
    await expect(page.locator("#capacity-flag")).to_be_visible()
    await page.hover("#capacity-card")
    warning = page.locator("#tooltip-warning")
    await expect(warning).to_be_visible()
    await expect(warning).to_contain_text("last availability refresh failed")
    await expect(page.locator("#tt-source-DEFAULT .stale")).to_contain_text("5 hours ago")
    await page.screenshot(path=artifacts / "dashboard-workspace-stale.png", full_page=True)


async def test_window_selector_reloads_the_card_for_the_chosen_window(
    page: Any, live_url: str, workspace: SeededWorkspace
) -> None:
    week = (await analytics(live_url, workspace, window_days=7))["capacity"]
    await sign_in(page, f"{live_url}/dashboard", workspace.api_key)

    await page.click("#window-selector [data-days='7']")

    await expect(page.locator("#capacity-title")).to_have_text("Capacity (7d)")
    await expect(page.locator("#capacity-value")).to_have_text(as_shown(week["bookedPct"]))
    await expect(page.locator("#window-selector [data-days='7']")).to_have_attribute(
        "aria-checked", "true"
    )
    assert "window=7" in page.url
    await expect(page.locator("#chart svg g.day")).to_have_count(len(week["daily"]))


async def test_cards_fill_four_columns_on_wide_screens_and_stack_on_narrow(
    page: Any, live_url: str, workspace: SeededWorkspace, artifacts: Path
) -> None:
    await sign_in(page, f"{live_url}/dashboard", workspace.api_key)
    cards = page.locator("#kpis > .card")
    await expect(cards).to_have_count(8)

    tops = [(await cards.nth(i).bounding_box())["y"] for i in range(8)]
    assert len({round(t) for t in tops}) == 2, "eight cards in two rows of four"
    assert len({round(t) for t in tops[:4]}) == 1
    await page.screenshot(path=artifacts / "dashboard-workspace.png", full_page=True)

    await page.set_viewport_size({"width": 400, "height": 900})
    lefts = {round((await cards.nth(i).bounding_box())["x"]) for i in range(8)}
    assert len(lefts) == 1, "one column on a phone"
    await page.screenshot(path=artifacts / "dashboard-workspace-narrow.png", full_page=True)


async def test_key_is_kept_in_session_storage_only(
    page: Any, live_url: str, workspace: SeededWorkspace
) -> None:
    await sign_in(page, f"{live_url}/dashboard", workspace.api_key)

    stored = await page.evaluate(
        "() => ({session: Object.values(sessionStorage), local: localStorage.length,"
        " cookies: document.cookie})"
    )
    assert stored == {"session": [workspace.api_key], "local": 0, "cookies": ""}

    await page.reload()
    await expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    await expect(page.locator("#key-prompt")).to_be_hidden()

    await page.click("#sign-out")
    await expect(page.locator("#key-prompt")).to_be_visible()
    assert await page.evaluate("() => sessionStorage.length") == 0


async def test_a_wrong_key_brings_the_prompt_back_with_a_message(page: Any, live_url: str) -> None:
    await page.goto(f"{live_url}/dashboard")
    await page.fill("#key-input", "not-a-key")
    await page.click("#key-form button[type=submit]")

    await expect(page.locator("#key-error")).to_contain_text("not accepted")
    await expect(page.locator("#key-prompt")).to_be_visible()


async def test_admin_without_a_workspace_picks_one_from_the_list(
    page: Any, live_url: str, workspace: SeededWorkspace
) -> None:
    await sign_in(page, f"{live_url}/dashboard", ADMIN_TOKEN)

    await page.click(f"#workspace-list a:text('{workspace.name}')")

    await expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    await expect(page.locator("#workspace-name")).to_have_text(workspace.name)
    assert f"workspace={workspace.id}" in page.url
