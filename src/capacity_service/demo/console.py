"""What `capacity-service demo` tells the person who ran it."""

import typer

from capacity_service.demo.seed import DemoWorkspace


def print_ready(base_url: str, demo: DemoWorkspace, replaced: list[str]) -> None:
    if replaced:
        typer.echo(f"replaced the previous demo data ({', '.join(replaced)})")
    typer.echo(
        f"{demo.name}: {demo.bookings} bookings delivered as {demo.webhooks} signed webhooks, "
        "availability refreshed from the provider test double"
    )
    typer.echo("")
    typer.secho(f"  dashboard:  {base_url}/dashboard?workspace={demo.workspace_id}", bold=True)
    typer.secho(f"  API key:    {demo.api_key}", bold=True)
    typer.echo(f"  all clients (admin token): {base_url}/dashboard/capacity")
    typer.echo("")
    typer.echo(
        "Serving the demo until Ctrl-C (HighLevel and Calendly are the test double here). "
        "Remove the demo data with: capacity-service demo --remove"
    )
