"""The `demo` command line."""

from typer.testing import CliRunner

from capacity_service.cli import app
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY


def test_demo_remove_says_when_there_is_nothing_to_remove(database_url: str) -> None:
    env = {
        "CAPACITY_DATABASE_URL": database_url,
        "CAPACITY_ADMIN_TOKEN": ADMIN_TOKEN,
        "CAPACITY_ENCRYPTION_KEY": ENCRYPTION_KEY,
    }

    result = CliRunner().invoke(app, ["demo", "--remove"], env=env)

    assert result.exit_code == 0, result.output
    assert "no demo data to remove" in result.output


def test_demo_is_listed_in_the_help() -> None:
    result = CliRunner().invoke(app, ["demo", "--help"])

    assert result.exit_code == 0
    assert "--remove" in result.output
