"""The ``rapport`` command. Commands come from plugins (``register_commands``),
built-in ones included; errors are mapped to exit codes here and only here:
2 for bad input (unknown workspace, invalid value), 1 for everything else.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from rapport.errors import ConfigError, NotFound, PermissionDenied, RapportError, ValidationError

USAGE_ERRORS = (ConfigError, NotFound, PermissionDenied, ValidationError)


class RapportGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RapportError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            ctx.exit(2 if isinstance(exc, USAGE_ERRORS) else 1)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()


def build_cli() -> click.Group:
    from rapport.plugins import get_plugin_manager

    @click.group(cls=RapportGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(package_name="rapport")
    def cli() -> None:
        """Rapport: a social media desk for people with a business to run.

        \b
        Quick start:
          rapport up                      serve the desk and its worker
          rapport import wxr blog.xml --workspace default
        """

    get_plugin_manager().hook.register_commands(cli=cli)
    return cli


def main() -> None:
    try:
        setup_django()
    except RapportError as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(2)
    build_cli()(prog_name="rapport")
