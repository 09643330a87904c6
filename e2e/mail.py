"""A real SMTP server on a loopback port for the end-to-end tests: aiosmtpd, requiring STARTTLS
with a throw-away certificate (or offering no TLS at all), keeping every message it receives."""

import email
import email.policy
import os
import re
import ssl
import subprocess
import tempfile
import threading
import time

from aiosmtpd.controller import Controller


class Inbox:
    """Messages received, as parsed e-mails."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message, time.time()))
        return "250 OK"

    def wait_for(self, address, timeout=30.0):
        """The first message to `address`, waiting for it up to `timeout` seconds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for recipients, message, received in self.messages:
                    if address in recipients:
                        return message, received
            time.sleep(0.05)
        raise AssertionError(f"no e-mail to {address} within {timeout} s")

    def count(self):
        with self.lock:
            return len(self.messages)


def throwaway_certificate(folder):
    """A self-signed certificate for localhost and 127.0.0.1, and its key."""
    certificate, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return certificate, key


class SMTPServer:
    """aiosmtpd on `port`; with `starttls`, mail is refused until the client has started TLS."""

    def __init__(self, port, starttls=True):
        self.port = port
        self.inbox = Inbox()
        self.folder = tempfile.mkdtemp(prefix="smtp-e2e-")
        self.certificate, key = throwaway_certificate(self.folder)
        context = None
        if starttls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.certificate, key)
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=starttls, ready_timeout=10
        )

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


def login_code(message):
    """The code in a login e-mail's subject."""
    return re.search(r"Your sign-in code: ([A-Z0-9]+)", str(message["Subject"])).group(1)
