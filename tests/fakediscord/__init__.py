"""Test helpers around the Discord stand-in (bot/playground/standin): the pytest fixtures and
a renderer of messages as HTML for screenshots."""
