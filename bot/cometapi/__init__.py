"""CometAPI's Midjourney API: the HTTP client (client.py; finding a task by `state` in
lookup.py), typed records (models.py, fields.py), one error tree (errors.py), retry rules
(retry.py), HTTP plumbing (transport.py, with outcomes.py mapping every failure, bodies.py
bounding every body, netguard.py pinning download hosts), the button classifier (buttons.py)
and secret redaction (redact.py). Never imports discord."""
