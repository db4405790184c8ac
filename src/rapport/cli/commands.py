"""Built-in commands for running Rapport: serve, worker, up, migrate."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import click

from rapport.hookspecs import hookimpl


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web desk and the API (waitress).

    Example: rapport serve --port 8080
    """
    from waitress import serve as waitress_serve

    from rapport.wsgi import application

    click.echo(f"Rapport is serving on http://{host}:{port}/")
    waitress_serve(application, host=host, port=port, threads=threads, ident="rapport")


@click.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def worker(workers: int) -> None:
    """Run the background worker: polling, scheduled deliveries, retries.

    Example: rapport worker --workers 4
    """
    from django.core.management import call_command

    call_command("run_huey", workers=workers, worker_type="thread")


@click.command()
def migrate() -> None:
    """Create or update the database tables.

    Example: rapport migrate
    """
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def up(host: str, port: int) -> None:
    """Migrate, create a first owner if there is none, then serve the desk and its worker.

    Ctrl-C stops both. Example: rapport up --port 8000
    """
    from django.core.management import call_command

    from rapport.accounts.services import ensure_first_owner

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    created = ensure_first_owner()
    if created:
        user, password = created
        click.secho("\nA first owner account was created. Sign in at:", bold=True)
        click.echo(f"  address:  http://{host}:{port}/login/")
        click.echo(f"  e-mail:   {user.email}")
        click.echo(f"  password: {password}   (shown once; change it after signing in)\n")
    exe = [sys.executable, "-m", "rapport"]
    children = [
        subprocess.Popen([*exe, "serve", "--host", host, "--port", str(port)]),
        subprocess.Popen([*exe, "worker"]),
    ]

    stopping = False

    def stop(*_: object) -> None:
        # Ctrl-C in a terminal reaches the children too; forwarding is for SIGTERM
        # and for signals sent to this process alone. A second signal changes nothing.
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.5)
    stop()
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    click.echo("Rapport stopped.")


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (serve, worker, migrate, up):
        cli.add_command(command)
