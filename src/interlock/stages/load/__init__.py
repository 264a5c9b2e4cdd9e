"""The load stage: Locust load profiles with SLO gates (see docs/load.md).

Locust itself only ever runs in child processes; nothing in this package that interlock's own
process imports may import locust or gevent (``runner_child`` and ``locust_shape`` are for the child).
"""
