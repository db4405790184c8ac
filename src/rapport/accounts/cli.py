"""``rapport workspace`` and ``rapport user``."""

from __future__ import annotations

import click

from rapport.accounts.models import Role
from rapport.hookspecs import hookimpl


@click.group()
def workspace() -> None:
    """Create and list workspaces."""


@workspace.command("create")
@click.argument("slug")
@click.option("--name", default="", help="Display name (defaults to the slug).")
@click.option("--timezone", default="UTC", show_default=True, help="For weekly slots and reports.")
def workspace_create(slug: str, name: str, timezone: str) -> None:
    """Create a workspace.

    Example: rapport workspace create bakery --name "Corner Bakery" --timezone Europe/Berlin
    """
    from rapport.accounts.services import create_workspace

    ws = create_workspace(slug=slug, name=name, timezone=timezone)
    click.echo(f"Created workspace {ws.slug!r} ({ws.name}).")


@workspace.command("list")
def workspace_list() -> None:
    """List workspaces. Example: rapport workspace list"""
    from rapport.accounts.models import Workspace

    for ws in Workspace.objects.order_by("slug"):
        click.echo(f"{ws.slug}\t{ws.name}\t{ws.timezone}")


@click.group()
def user() -> None:
    """Create users and API tokens."""


@user.command("create")
@click.argument("email")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option(
    "--role", type=click.Choice(Role.values), required=True, help="owner, editor or viewer."
)
@click.option("--password", default=None, help="Leave out to generate one (printed once).")
def user_create(email: str, slug: str, role: str, password: str | None) -> None:
    """Create a user (or add an existing one) with a role in a workspace.

    Example: rapport user create ana@example.com --workspace bakery --role editor
    """
    from rapport.accounts.services import create_user, get_workspace

    ws = get_workspace(slug=slug)
    account, generated = create_user(email=email, workspace=ws, role=role, password=password)
    click.echo(f"{account.email} is {role} of {ws.slug!r}.")
    if generated:
        click.echo(f"Password (shown once): {generated}")


@user.command("token")
@click.argument("email")
@click.option("--name", default="api", show_default=True)
def user_token(email: str, name: str) -> None:
    """Issue an API token for a user (printed once).

    Example: rapport user token ana@example.com --name zapier
    """
    from rapport.accounts.models import ApiToken, User
    from rapport.errors import NotFound

    account = User.objects.filter(email=email.strip().lower()).first()
    if account is None:
        raise NotFound(f"no user {email!r}; create one with `rapport user create`")
    _, token = ApiToken.issue(user=account, name=name)
    click.echo(token)


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(workspace)
    cli.add_command(user)
