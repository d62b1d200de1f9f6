"""Root fixtures. Subsystem fixtures live in each tests/<area>/conftest.py; the fake Discord
is a plugin so that any test can use it."""

pytest_plugins = ["tests.fakediscord.fixtures"]
