"""Shared plumbing: the worker process that runs the periodic jobs (``anxin worker``), several of them side by side.

``model`` holds the schedule entry and the lease policy (pure), ``store`` the ``worker_leases`` table, ``service`` the
lease use cases and the operators' job status, ``runner`` the process loop. The schedule itself is composed in
``anxin.bootstrap.Anxin.schedule``.
"""
