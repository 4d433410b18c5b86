"""E-mail through an SMTP server (``LIVECOMMERCE_SMTP_URL``) with aiosmtplib."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from io import BytesIO
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib


class PermanentEmailError(Exception):
    """The server refused the message for good (a 5xx reply): trying again is useless."""


@dataclass(frozen=True)
class SmtpServer:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # TLS from the first byte (smtps://)
    start_tls: bool | None  # None: STARTTLS when the server offers it

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("LIVECOMMERCE_SMTP_URL must look like smtp://host:port")
        query = parse_qs(parts.query)
        tls_off = query.get("tls", [""])[0].lower() in ("off", "0", "false", "no")
        secure = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if secure else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=secure,
            start_tls=False if (secure or tls_off) else None,
        )


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    message_id: str
    unsubscribe_url: str  # the one-click endpoint (RFC 8058)
    unsubscribe_page: str  # the page a person opens from the body


def build_message(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = email.message_id
    message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text)
    return message


# Header lines up to SMTP's limit: a List-Unsubscribe URL must stay one plain ``<URL>``
# (folding it at 78 columns would turn it into an encoded word mail clients do not read).
_WIRE = policy.SMTP.clone(max_line_length=998)


def message_bytes(message: EmailMessage) -> bytes:
    with BytesIO() as buffer:
        BytesGenerator(buffer, policy=_WIRE).flatten(message)
        return buffer.getvalue()


async def send_email(url: str, sender: str, email: Email, *, timeout_s: float) -> None:
    """Hand one message to the SMTP server. Raises PermanentEmailError on a 5xx reply;
    any other exception means the message may be tried again later."""
    server = SmtpServer.from_url(url)
    try:
        await aiosmtplib.send(
            message_bytes(build_message(email, sender)),
            sender=parseaddr(sender)[1],
            recipients=[email.to],
            hostname=server.hostname,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.use_tls,
            start_tls=server.start_tls,
            timeout=timeout_s,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [error.code for error in exc.recipients]
        if codes and all(code >= 500 for code in codes):
            raise PermanentEmailError(str(exc)) from exc
        raise
    except aiosmtplib.SMTPResponseException as exc:
        if exc.code >= 500:
            raise PermanentEmailError(f"{exc.code} {exc.message}") from exc
        raise
