"""The delivery channels of notifications, against real servers on 127.0.0.1: an email
reaches an SMTP server intact (Vietnamese subject and body, its Message-ID the same on every
try), a webhook arrives signed; every failure is a short ChannelError. No database here."""

from __future__ import annotations

import json
import socket
import time

import pytest

from api.services.channels import (
    ChannelError,
    SmtpSettings,
    check_webhook_url,
    send_email,
    send_webhook,
)
from api.services.signatures import (
    MESSAGE_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    check_signature,
)
from config import settings_from_env
from tests.smtp_server import SmtpServer, free_port
from tests.webhook_receiver import url

# The fixture, bound by assignment: a test's parameter may then share its name (ruff F811).

SENDER = "motcua@ubnd-tanan.gov.vn"
OFFICER = "Trần Thị Hoa <hoa.tt@ubnd-tanan.gov.vn>"
SUBJECT = "Nhắc việc: hồ sơ 000.00.29.H01-261129-0001 sắp đến hạn"
BODY = (
    "Kính gửi chị Trần Thị Hoa,\n\n"
    "Bước «Thẩm định hồ sơ» của hồ sơ 000.00.29.H01-261129-0001 (Đăng ký khai sinh) "
    "sẽ đến hạn lúc 15:00 ngày 03/03/2026.\n"
)
SECRET = "bí-mật-chung-s3cr3t"
PAYLOAD = {
    "kind": "due_soon",
    "dossier": "000.00.29.H01-261129-0001",
    "step": "Thẩm định hồ sơ",
    "officer": "Trần Thị Hoa",
}


def settings(server: SmtpServer, **overrides) -> SmtpSettings:
    return SmtpSettings(server.host, server.port, sender=SENDER, timeout=5, **overrides)


# Email


def test_an_email_arrives_with_its_vietnamese_subject_and_body(smtp_server):
    send_email(settings(smtp_server), OFFICER, SUBJECT, BODY, message_id="notif-42")

    (message,) = smtp_server.wait_for(1)
    assert message["Subject"] == SUBJECT
    assert message.get_content().replace("\r\n", "\n") == BODY
    assert message["To"].addresses[0].display_name == "Trần Thị Hoa"
    assert message["To"].addresses[0].addr_spec == "hoa.tt@ubnd-tanan.gov.vn"
    assert message["From"] == SENDER
    assert message["Message-ID"] == "<notif-42@motcua>"
    assert message["Date"] is not None
    assert message.get_content_charset() == "utf-8"
    (envelope,) = smtp_server.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == ("hoa.tt@ubnd-tanan.gov.vn",)
    assert envelope.raw.isascii()  # encoded for any server, 8BITMIME or not


def test_a_resend_carries_the_same_message_id(smtp_server):
    for _ in range(2):
        send_email(settings(smtp_server), OFFICER, SUBJECT, BODY, message_id="notif-42")
    send_email(settings(smtp_server), OFFICER, SUBJECT, BODY, message_id="<given@example.vn>")

    first, second, third = smtp_server.wait_for(3)
    assert first["Message-ID"] == second["Message-ID"] == "<notif-42@motcua>"
    assert third["Message-ID"] == "<given@example.vn>"


def test_a_server_not_listening_fails_quickly():
    port = free_port()
    started = time.monotonic()
    with pytest.raises(ChannelError) as failed:
        send_email(
            SmtpSettings("127.0.0.1", port, timeout=1), OFFICER, SUBJECT, BODY, message_id="n1"
        )
    assert time.monotonic() - started < 2
    assert str(failed.value) == f"mail server 127.0.0.1:{port}: connection refused"
    assert not failed.value.permanent


def test_a_server_that_never_answers_times_out():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never greets
        host, port = silent.getsockname()
        started = time.monotonic()
        with pytest.raises(ChannelError) as failed:
            send_email(
                SmtpSettings(host, port, timeout=0.5), OFFICER, SUBJECT, BODY, message_id="n1"
            )
    assert time.monotonic() - started < 2
    assert str(failed.value) == f"mail server {host}:{port}: timed out after 0.5s"


def test_a_refused_recipient_fails_and_nothing_is_delivered():
    with SmtpServer(refuse={"nobody@ubnd-tanan.gov.vn"}) as server:
        with pytest.raises(ChannelError) as failed:
            send_email(settings(server), "nobody@ubnd-tanan.gov.vn", SUBJECT, BODY, message_id="n1")
        send_email(settings(server), OFFICER, SUBJECT, BODY, message_id="n2")
        (delivered,) = server.wait_for(1)

    reason = str(failed.value)
    assert "550" in reason and "nobody@ubnd-tanan.gov.vn" in reason
    assert "\n" not in reason and len(reason) <= 300
    assert failed.value.permanent  # a 5xx refusal: trying again cannot help
    assert delivered["Message-ID"] == "<n2@motcua>"


@pytest.mark.parametrize(
    "to, subject",
    [
        (OFFICER, "Nhắc việc\r\nBcc: all@example.vn"),
        (OFFICER, "Nhắc việc\nBcc: all@example.vn"),
        ("hoa.tt@ubnd-tanan.gov.vn\r\nBcc: all@example.vn", SUBJECT),
        ("hoa.tt@ubnd-tanan.gov.vn\rBcc: all@example.vn", SUBJECT),
        ("hoa.tt@ubnd-tanan.gov.vn, all@example.vn", SUBJECT),  # two addresses
        ("hoa.tt", SUBJECT),
        ("", SUBJECT),
    ],
)
def test_a_header_injection_or_a_bad_recipient_is_refused_before_sending(smtp_server, to, subject):
    with pytest.raises(ChannelError) as failed:
        send_email(settings(smtp_server), to, subject, BODY, message_id="n1")
    assert failed.value.permanent
    time.sleep(0.1)
    assert smtp_server.envelopes == []


def test_a_login_the_server_does_not_offer_fails_without_showing_the_password(smtp_server):
    with pytest.raises(ChannelError) as failed:
        send_email(
            settings(smtp_server, username="motcua", password="mật-khẩu-123"),
            OFFICER,
            SUBJECT,
            BODY,
            message_id="n1",
        )
    assert "AUTH" in str(failed.value)
    assert "mật-khẩu-123" not in str(failed.value)
    assert smtp_server.envelopes == []


def test_settings_come_from_the_config_and_email_is_off_without_a_host():
    assert SmtpSettings.from_config(settings_from_env({})) is None
    assert SmtpSettings.from_config({"MOTCUA_SMTP_HOST": "  "}) is None

    config = settings_from_env(
        {
            "MOTCUA_SMTP_HOST": "smtp.tanan.gov.vn",
            "MOTCUA_SMTP_SENDER": SENDER,
            "MOTCUA_SMTP_USERNAME": "motcua",
            "MOTCUA_SMTP_PASSWORD": "mật-khẩu-123",
            "MOTCUA_SMTP_SSL": "true",
            "MOTCUA_SMTP_TIMEOUT_SECONDS": "3.5",
        }
    )
    smtp = SmtpSettings.from_config(config)
    assert smtp == SmtpSettings(
        "smtp.tanan.gov.vn",
        465,  # SMTPS's port when none is given
        sender=SENDER,
        username="motcua",
        password="mật-khẩu-123",
        ssl=True,
        timeout=3.5,
    )
    assert "mật-khẩu-123" not in repr(smtp)
    plain = SmtpSettings.from_config(
        {"MOTCUA_SMTP_HOST": "localhost", "MOTCUA_SMTP_PORT": "2525", "MOTCUA_SMTP_STARTTLS": "1"}
    )
    assert (plain.port, plain.starttls, plain.ssl, plain.sender) == (
        2525,
        True,
        False,
        "motcua@localhost",
    )
    with pytest.raises(ValueError):
        SmtpSettings.from_config(
            {"MOTCUA_SMTP_HOST": "localhost", "MOTCUA_SMTP_SSL": 1, "MOTCUA_SMTP_STARTTLS": 1}
        )
    with pytest.raises(ValueError):
        SmtpSettings("localhost", sender="motcua@localhost\r\nBcc: all@example.vn")


# Webhooks


def test_a_webhook_arrives_signed_with_its_payload_and_message_id(receiver):
    timestamp = int(time.time())
    send_webhook(url(receiver, "/ok"), SECRET, PAYLOAD, message_id="notif-42", timestamp=timestamp)

    ((path, headers, body),) = receiver.received
    assert path == "/ok"
    assert (
        check_signature(
            SECRET, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body, time.time()
        )
        is None
    )
    assert headers[TIMESTAMP_HEADER] == str(timestamp)
    assert headers[MESSAGE_ID_HEADER] == "notif-42"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == PAYLOAD
    assert "Thẩm định hồ sơ".encode() in body  # UTF-8, not \u escapes


def test_a_webhook_answering_500_fails_naming_the_status_not_the_path_or_secret(receiver):
    with pytest.raises(ChannelError) as failed:
        send_webhook(
            url(receiver, "/fail/token-in-path"),
            SECRET,
            PAYLOAD,
            message_id="n1",
            timestamp=int(time.time()),
        )
    reason = str(failed.value)
    assert "500" in reason
    assert "token-in-path" not in reason and SECRET not in reason
    assert reason.startswith(f"webhook http://127.0.0.1:{receiver.server_port} ")


def test_a_webhook_redirect_is_not_followed(receiver):
    with pytest.raises(ChannelError) as failed:
        send_webhook(
            url(receiver, "/moved"), SECRET, PAYLOAD, message_id="n1", timestamp=int(time.time())
        )
    assert "302" in str(failed.value)
    assert [path for path, _, _ in receiver.received] == ["/moved"]  # /target never hit


def test_a_webhook_nobody_listens_on_fails():
    with pytest.raises(ChannelError) as failed:
        send_webhook(
            f"http://127.0.0.1:{free_port()}/hook",
            SECRET,
            PAYLOAD,
            message_id="n1",
            timestamp=int(time.time()),
            timeout=1,
        )
    assert "connection refused" in str(failed.value)


def test_a_slow_webhook_times_out(receiver):
    with pytest.raises(ChannelError) as failed:
        send_webhook(
            url(receiver, "/slow"),
            SECRET,
            PAYLOAD,
            message_id="n1",
            timestamp=int(time.time()),
            timeout=0.2,
        )
    assert "timed out" in str(failed.value)


def test_a_webhook_to_an_unacceptable_url_is_not_sent(receiver):
    with pytest.raises(ChannelError) as failed:
        send_webhook("ftp://127.0.0.1/hook", SECRET, PAYLOAD, message_id="n1", timestamp=0)
    assert failed.value.permanent
    assert receiver.received == []


@pytest.mark.parametrize(
    "candidate, problem",
    [
        ("https://hooks.tanan.gov.vn/motcua", None),
        ("http://127.0.0.1:8080/hook?k=v", None),
        ("HTTPS://hooks.tanan.gov.vn", None),
        ("ftp://hooks.tanan.gov.vn/motcua", "must be http or https"),
        ("file:///etc/passwd", "must be http or https"),
        ("hooks.tanan.gov.vn/motcua", "must be http or https"),
        ("https:///motcua", "has no host"),
        ("https://", "has no host"),
        ("https://hooks.tanan.gov.vn/" + "a" * 500, "is longer than 500 characters"),
        ("https://hooks.tanan.gov.vn/mot cua", "contains whitespace or control characters"),
        ("https://hooks.tanan.gov.vn/\r\nX: y", "contains whitespace or control characters"),
        ("https://hooks.tanan.gov.vn/\x00", "contains whitespace or control characters"),
        ("https://hooks.tanan.gov.vn/\t", "contains whitespace or control characters"),
        ("https://user:pw@hooks.tanan.gov.vn/", "must not carry a user name or password"),
        ("https://hooks.tanan.gov.vn:http/", "is not a valid URL (or its port is not)"),
        ("https://hooks.tanan.gov.vn/nhắc-việc", "must be ASCII"),
        ("", "is empty"),
    ],
)
def test_check_webhook_url(candidate, problem):
    found = check_webhook_url(candidate)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


def test_a_channel_error_is_one_short_line():
    error = ChannelError("mail server said:\n" + "x" * 1000)
    assert "\n" not in str(error) and len(str(error)) <= 300
