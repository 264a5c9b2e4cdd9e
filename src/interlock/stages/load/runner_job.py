"""What interlock hands to the Locust master (or single local runner) it starts.

Shared by both sides: :mod:`interlock.stages.load.locust_process` writes it as the run's
``job.json`` through :mod:`interlock.core.worker`, :mod:`interlock.stages.load.runner_child`
reads it inside Locust. Workers get no job: they only run users and send their samples to the
master.
"""

from __future__ import annotations

from pydantic import BaseModel

from interlock.stages.load.profile import LoadShape


class RunnerJob(BaseModel):
    """The shape to run and the files the runner streams to while it runs."""

    shape: LoadShape
    #: JSON lines, one per (second, endpoint): count, failures, response-time histogram.
    samples: str
    #: JSON lines, one a second (user and worker counts) plus start, stop and end events.
    users: str
    #: When this file appears the runner stops the run gracefully; its text is the reason.
    control: str
