"""``interlock init``: what it finds in a project (pacts, specs), what it is told, and the files it writes.

``discover`` reads the project, ``plan`` holds the answers as one value, ``render`` turns the plan
into commented YAML. The command (:mod:`interlock.app.commands.init`) asks, writes and verifies.
"""
