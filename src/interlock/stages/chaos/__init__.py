"""The chaos stage: drive a consumer through a fault proxy and judge how it copes.

Modules, each with one job: :mod:`.experiment` (the experiment file), :mod:`.policy` (a declared
resilience policy), :mod:`.catalogue` (standard faults derived from a policy), :mod:`.faults`
(applying and rolling back one fault), :mod:`.fabric` (the run's fault proxy, embedded or
``TOXIPROXY_URL``), :mod:`.metrics` (pure functions from calls and observations to numbers),
:mod:`.journal` (what happened, as JSON), :mod:`.runner` (one experiment) and :mod:`.stage`.
"""
