"""CometAPI's Midjourney API: the HTTP client (client.py), typed records (models.py), one error
tree (errors.py), retry rules (retry.py), the button classifier (buttons.py) and secret
redaction (redact.py). Never imports discord."""
