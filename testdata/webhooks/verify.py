"""Verify webhook requests with the Standard Webhooks reference library.

Reads {"secret": "whsec_...", "requests": [{"headers": {...}, "body": "..."}]}
on stdin and prints a JSON list with "ok" or the library's error for each.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook

doc = json.load(sys.stdin)
wh = Webhook(doc["secret"])
out = []
for req in doc["requests"]:
    try:
        wh.verify(req["body"], req["headers"])
        out.append("ok")
    except Exception as e:  # the verdict is the library's message
        out.append(f"{type(e).__name__}: {e}")
print(json.dumps(out))
