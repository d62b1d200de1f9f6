"""The playground: the real bot against a local Discord stand-in, with a page to use it.

`standin/` is the stand-in (a server; the tests use it too), `page.py` and `static/` the page,
`launch.py` starts it all (`mjbot play`, or `make run` without DISCORD_TOKEN)."""
