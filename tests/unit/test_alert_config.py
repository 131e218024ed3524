"""Alert target configs (`alert_targets.csv`, config column): what each says, and a clear
refusal naming the key for every mistake."""

from __future__ import annotations

import re

import pytest

from server.net.alerts.config import ConfigError, Retry, SmtpConfig, WebhookConfig, parse

ENV = {"SMS_SECRET": "abc", "MAIL_PASSWORD": "pw"}


def test_a_plain_label_names_no_transport():
    assert parse("works.duty@example.lc", ENV) is None
    assert parse("MDT0100", ENV) is None


def test_an_email_target():
    config = parse("smtp=mail.example.lc:587 to=a@example.lc,b@example.lc from=dispatch@example.lc "
                   "starttls=yes user=dispatch password_env=MAIL_PASSWORD timeout=5 attempts=2 retry_s=1", ENV)  # fmt: skip
    assert config == SmtpConfig("mail.example.lc", 587, "dispatch@example.lc", ("a@example.lc", "b@example.lc"),
                                True, False, "dispatch", "pw", 5.0, Retry(2, 1.0))  # fmt: skip


def test_email_ports_default_by_tls():
    assert parse("smtp=mail.example.lc to=a@example.lc from=b@example.lc", ENV).port == 25
    tls = parse("smtp=mail.example.lc to=a@example.lc from=b@example.lc tls=yes", ENV)
    assert tls.port == 465 and tls.tls and tls.starttls is None


def test_a_webhook_target():
    config = parse("url=https://sms.example.lc/send to=+17585550101 secret_env=SMS_SECRET", ENV)
    assert config == WebhookConfig("https://sms.example.lc/send", "+17585550101", b"abc")


def test_retries_back_off_threefold():
    assert [Retry(4, 2.0).delay_before(n) for n in (2, 3, 4)] == [2.0, 6.0, 18.0]


@pytest.mark.parametrize(("text", "problem"), [
    ("smtp=h to=a@b.c", "needs from="),
    ("smtp=h from=a@b.c", "needs to="),
    ("smtp=h:x to=a@b.c from=d@e.f", "smtp port must be a number"),
    ("smtp=h to=nobody from=d@e.f", "'nobody' is not an e-mail address"),
    ("smtp=h to=a@b.c from=d@e.f user=x", "user= and password_env= go together"),
    ("smtp=h to=a@b.c from=d@e.f password_env=NOPE user=x", "environment variable NOPE is not set"),
    ("smtp=h to=a@b.c from=d@e.f starttls=maybe", "starttls must be yes or no"),
    ("smtp=h to=a@b.c from=d@e.f url=http://x", "either smtp="),
    ("url=ftp://x/y", "url must be an http:// or https:// address"),
    ("url=http://x secret=inline", "unknown keys for webhook (url=): secret"),
    ("url=http://x attempts=0", "attempts must be between 1 and 10"),
    ("url=http://x attempts=2.5", "attempts must be a whole number"),
    ("url=http://x timeout=soon", "timeout must be a number"),
    ("url=http://x url=http://y", "url given twice"),
    ("to=a@b.c", "names no transport"),
    ("url=http://x = ", "'=' is not key=value"),
])  # fmt: skip
def test_mistakes_are_named(text, problem):
    with pytest.raises(ConfigError, match=re.escape(problem)):
        parse(text, ENV)
