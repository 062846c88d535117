"""Browser tests: Debian's Chromium driven by Playwright against the real service."""

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from capacity_service.config import Settings
from capacity_service.kit.secrets import SecretCipher
from capacity_service.main import create_app
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY
from tests.dashboard.live_server import serve_in_thread

CHROMIUM = Path(os.environ.get("CAPACITY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_MISSING = (
    f"Chromium not found at {CHROMIUM}: browser tests skipped "
    "(apt-get install -y chromium, as .ci/run does)"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

requires_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING),
]


@pytest.fixture(scope="session")
def live_settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        encryption_key=SecretStr(ENCRYPTION_KEY),
    )


@pytest.fixture(scope="session")
def live_cipher(live_settings: Settings) -> SecretCipher:
    """Encrypts seeded secrets with the live server's own key."""
    return SecretCipher(live_settings.fernet_keys)


@pytest.fixture(scope="session")
def live_url(live_settings: Settings) -> Iterator[str]:
    """Base URL of the service, committing to this run's test database."""
    with serve_in_thread(create_app(live_settings)) as url:
        yield url


@pytest.fixture
async def clean_database(engine: AsyncEngine) -> AsyncIterator[None]:
    """The browser reads committed data, so these tests commit and empty the tables after."""
    yield
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE workspace CASCADE"))


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(CHROMIUM_MISSING)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser: Any, live_url: str) -> AsyncIterator[Any]:
    """A fresh tab (own session storage) that refuses every address but the service."""
    context = await browser.new_context(viewport={"width": 1440, "height": 960})
    context.set_default_timeout(15_000)
    outside: list[str] = []

    async def only_local(route: Any) -> None:
        if route.request.url.startswith(live_url):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_local)
    tab = await context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    await context.close()
    assert not outside, f"the page asked for outside addresses: {outside}"
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
