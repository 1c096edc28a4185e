"""Background work. Jobs take ids, never objects, and run inside an app context.

The embedded default runs a job in-process when it is enqueued (callers enqueue after their
transaction commits); the rq worker on Redis that production needs arrives with interlinked
procedures and will keep this same interface. `in_app_context` is the wrapper a worker uses.
"""

from .runner import enqueue, in_app_context, register

__all__ = ["enqueue", "in_app_context", "register"]
