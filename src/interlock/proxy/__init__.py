"""The embedded fault proxy: a drop-in Toxiproxy server with HTTP-level faults and observation.

Modules: ``api`` (the HTTP API), ``registry`` (proxies, toxics and their rules), ``toxics/`` (one
module per toxic type), ``link`` (byte pumping per direction), ``observe`` (HTTP/1.1 observation
and http_error), ``client`` (a Python client that also works against real Toxiproxy),
``process`` (the server as a child process), ``serve``/``cli`` (the ``interlock proxy serve``
command). See docs/proxy.md.
"""
