"""`mallette serve`: gunicorn and the job worker together, and the address to give people.

The local-network address is found without sending anything: `connect()` on a UDP socket only
asks the kernel which interface would route to a private address; no packet leaves the machine.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import click

#: A private address used only to ask the routing table which interface faces the local network.
PROBE_ADDRESS = "10.255.255.255"


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is this computer only (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lan_address(probe: str = PROBE_ADDRESS) -> str | None:
    """This machine's address on its local network, or None when it has none but loopback.

    A UDP `connect()` sends no packet: it only picks the source address the kernel would use.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((probe, 9))
            address = str(sock.getsockname()[0])
    except OSError:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.is_loopback or ip.is_unspecified or ip.is_link_local:
        return None
    return address


def base_url(*, configured: str | None, host: str, port: int, lan: str | None) -> str:
    """The base URL of QR codes: `MALLETTE_BASE_URL` when set, else the LAN address (with `--lan`),
    else the address the server listens on (loopback for `127.0.0.1` and `0.0.0.0`)."""
    if configured:
        return configured.rstrip("/")
    if lan:
        return f"http://{lan}:{port}"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _commands(*, workers: int, host: str, port: int, job_workers: int) -> tuple[list[str], list[str]]:
    """The gunicorn and job-worker command lines."""
    # Phones poll their live view every few seconds: a keep-alive longer than that keeps each one on
    # its connection instead of opening a new one per poll (gunicorn's default is 2 s).
    web = [sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", "--workers", str(workers),
           "--threads", "4", "--keep-alive", "10",
           "--bind", f"{host}:{port}", "--access-logfile", "-", "--graceful-timeout", "10", "app:create_app()"]
    worker = [sys.executable, "-c", "from app.cli import main; main()", "worker", "--workers", str(job_workers)]
    return web, worker


def serve(*, workers: int = 2, host: str | None = None, port: int = 5000, lan: bool = False,
          job_workers: int = 1) -> int:
    """Run gunicorn and the job worker until Ctrl-C or SIGTERM (or until one of them stops);
    return the exit status."""
    listen = host or ("0.0.0.0" if lan else "127.0.0.1")
    local = lan_address() if lan else None
    configured = os.environ.get("MALLETTE_BASE_URL")
    url = base_url(configured=configured, host=listen, port=port, lan=local)
    env = dict(os.environ, MALLETTE_BASE_URL=url)
    web_cmd, worker_cmd = _commands(workers=workers, host=listen, port=port, job_workers=job_workers)
    # The job worker first: it migrates and indexes once, before the web workers start together.
    children = [subprocess.Popen(worker_cmd, env=env)]
    children.append(subprocess.Popen(web_cmd, env=env))
    shown = "127.0.0.1" if listen in ("0.0.0.0", "::") else listen
    click.echo("")
    click.echo(f"  Mallette est servie sur http://{shown}:{port}/")
    if lan and local:
        click.echo(f"  Sur le réseau local : http://{local}:{port}/")
    elif lan:
        click.echo("  Aucune adresse de réseau local trouvée : les téléphones ne pourront pas joindre ce poste.")
    click.echo(f"  Les QR codes des kits imprimés mènent à {url}")
    if is_loopback_url(url):
        click.echo("  (cette adresse ne s'ouvre que sur ce poste : « mallette serve --lan » ou MALLETTE_BASE_URL)")
    click.echo("  Ctrl-C pour arrêter.")
    click.echo("")

    stopping = {"signal": 0}

    def on_signal(signum: int, _frame: object) -> None:
        stopping["signal"] = signum

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        while not stopping["signal"]:
            ended = [child for child in children if child.poll() is not None]
            if ended:
                status = ended[0].returncode or 1
                click.echo("Un des processus de Mallette s'est arrêté : arrêt de l'autre.", err=True)
                break
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
