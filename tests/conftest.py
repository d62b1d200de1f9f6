"""Root fixtures. Subsystem fixtures live in each tests/<area>/conftest.py."""
