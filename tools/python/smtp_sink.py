"""An aiosmtpd handler for the tests of the e-mail outbox: every message that arrives is
written, once parsed, as one JSON file (envelope sender, recipients, decoded subject and body)
into a directory the test reads back. Recipients whose local part starts with ``refused`` are
refused with 550, as a real server refuses an unknown mailbox.

Run as ``PYTHONPATH=tools/python python -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink DIR``.
"""

import email
import email.policy
import json
import os
import uuid


class Sink:
    """Writes each message to ``DIR/<uuid>.json`` (through a temporary name, so that a reader
    never sees half a file)."""

    def __init__(self, directory):
        self.directory = directory

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.Sink takes one argument: the directory to write to")
        os.makedirs(args[0], exist_ok=True)
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@", 1)[0].startswith("refused"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "from": str(message["from"]),
            "to": str(message["to"]),
            "subject": str(message["subject"]),
            "body": body.get_content() if body is not None else "",
        }
        name = uuid.uuid4().hex
        part = os.path.join(self.directory, name + ".part")
        with open(part, "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False)
        os.replace(part, os.path.join(self.directory, name + ".json"))
        return "250 Message accepted for delivery"
