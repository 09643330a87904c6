"""Caddy on loopback in front of the server: TLS from Caddy's internal certificate authority, as a
production deployment behind a reverse proxy, with that authority trusted by the test clients."""

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass

from server import Server, free_port


class Caddy:
    """`caddy run` serving https://localhost:`port` and passing everything to 127.0.0.1:`backend_port`
    (a list of ports: to each in turn, round robin)."""

    def __init__(self, port: int, backend_port):
        backends = " ".join(f"127.0.0.1:{each}" for each in (backend_port if isinstance(backend_port, list) else [backend_port]))
        self.port = port
        self.folder = tempfile.mkdtemp(prefix="caddy-e2e-")
        self.caddyfile = os.path.join(self.folder, "Caddyfile")
        with open(self.caddyfile, "w") as handle:
            handle.write(
                f"""{{
\tadmin off
\tstorage file_system {self.folder}/data
\tskip_install_trust
\thttp_port {free_port()}
\thttps_port {port}
\tauto_https disable_redirects
}}

https://localhost:{port} {{
\ttls internal
\treverse_proxy {backends} {{
\t\tlb_policy round_robin
\t}}
}}
"""
            )
        environment = dict(os.environ, HOME=self.folder, XDG_DATA_HOME=self.folder, XDG_CONFIG_HOME=self.folder)
        self.log = open(os.path.join(self.folder, "caddy.log"), "w")
        self.process = subprocess.Popen(
            ["caddy", "run", "--config", self.caddyfile, "--adapter", "caddyfile"], env=environment, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.ca = os.path.join(self.folder, "data", "pki", "authorities", "local", "root.crt")
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                break
            if os.path.exists(self.ca) and self._handshake():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("caddy did not start: " + open(os.path.join(self.folder, "caddy.log")).read()[-2000:])

    @property
    def context(self) -> ssl.SSLContext:
        """A client context that trusts exactly Caddy's authority."""
        return ssl.create_default_context(cafile=self.ca)

    def _handshake(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as raw:
                with self.context.wrap_socket(raw, server_hostname="localhost"):
                    return True
        except (OSError, ssl.SSLError):
            return False

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Proxied:
    """What the test clients see: the public https URL, and the context trusting its certificate."""

    base: str
    mcp_url: str
    ssl_context: ssl.SSLContext
    backend: Server
    caddy: Caddy


def start_proxied(binary: str) -> Proxied:
    """The server with PUBLIC_URL=https://localhost:PORT and the proxy trusted, and Caddy in front."""
    port = free_port()
    public = f"https://localhost:{port}"
    backend = Server(binary, extra_environment={"PUBLIC_URL": public, "TRUSTED_PROXIES": "127.0.0.1", "DEMO_MODE": "true"})
    try:
        caddy = Caddy(port, backend.port)
    except Exception:
        backend.stop()
        raise
    return Proxied(public, public + "/", caddy.context, backend, caddy)
