"""Verifies webhook deliveries as a Python receiver would: with the `standardwebhooks` package from PyPI.

Reads from stdin a JSON list of {secret, body, headers}; prints a JSON list, one entry per
delivery: {"ok": true, "payload": ...} or {"ok": false, "error": "<exception class>"}.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook

out = []
for delivery in json.load(sys.stdin):
    try:
        payload = Webhook(delivery["secret"]).verify(delivery["body"], delivery["headers"])
        out.append({"ok": True, "payload": payload})
    except Exception as error:  # the test asserts which deliveries fail, and why
        out.append({"ok": False, "error": type(error).__name__})
print(json.dumps(out, ensure_ascii=False))
