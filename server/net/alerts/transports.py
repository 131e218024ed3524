"""Sending one alert over one transport; a failure raises `DeliveryFailed` with a reason in
words for the dispatcher. No retries here (the delivery owns them).

E-mail goes through aiosmtplib rather than smtplib in a thread: it runs on the server's own
loop, so a hung mail server is cancelled at shutdown instead of holding a thread until its
timeout, and STARTTLS is used whenever the server offers it. Webhooks go through one shared
httpx client (connection reuse, TLS verification, per-request timeouts).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib
import httpx

from server.net.alerts.config import SmtpConfig, WebhookConfig
from server.net.alerts.message import Alert

SIGNATURE_HEADER = "X-HurriNet-Signature"


class DeliveryFailed(Exception):
    """The alert did not reach the target; str() is the reason shown to the dispatcher."""


def mail(alert: Alert, config: SmtpConfig) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = config.sender
    message["To"] = ", ".join(config.recipients)
    message["Date"] = formatdate(alert.dispatched_at.timestamp(), usegmt=True)
    message["Message-ID"] = make_msgid("hurrinet")
    message["X-Priority"] = "1" if alert.priority in ("A", "B") else "3"
    message.set_content(alert.text())
    return message


async def send_mail(alert: Alert, config: SmtpConfig) -> None:
    try:
        await aiosmtplib.send(
            mail(alert, config),
            hostname=config.host,
            port=config.port,
            use_tls=config.tls,
            start_tls=config.starttls,
            username=config.user,
            password=config.password,
            timeout=config.timeout_s,
        )
    except aiosmtplib.SMTPResponseException as error:
        raise DeliveryFailed(f"mail server {config.host} answered {error.code} {error.message}") from error
    except (aiosmtplib.SMTPException, OSError, TimeoutError, ssl.SSLError) as error:
        raise DeliveryFailed(f"mail server {config.host}:{config.port}: {_words(error)}") from error


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


async def post_webhook(client: httpx.AsyncClient, alert: Alert, config: WebhookConfig) -> None:
    payload = alert.payload()
    if config.to is not None:
        payload["to"] = config.to
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if config.secret is not None:
        headers[SIGNATURE_HEADER] = signature(config.secret, body)
    host = httpx.URL(config.url).host
    try:
        response = await client.post(config.url, content=body, headers=headers, timeout=config.timeout_s)
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"webhook {host}: {_words(error)}") from error
    if not response.is_success:
        raise DeliveryFailed(f"webhook {host} answered HTTP {response.status_code} {response.reason_phrase}")


def _words(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, TimeoutError | httpx.TimeoutException | aiosmtplib.SMTPTimeoutError):
        return f"timed out ({text})" if str(error) else "timed out"
    return text
