"""The queue's own periodic jobs (imported by the worker through PROCRASTINATE_IMPORT_PATHS)."""

from __future__ import annotations

import logging

from django.conf import settings
from procrastinate import JobContext
from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)


@app.periodic(cron=settings.JOBS_RECOVER_CRON)
@app.task(
    name="connect_id.recover_stalled_jobs",
    queueing_lock="connect_id.recover_stalled_jobs",
    pass_context=True,
)
async def recover_stalled_jobs(context: JobContext, timestamp: int) -> None:
    """Put back in the queue the jobs a dead worker held. procrastinate 3 marks a running job
    with its worker, and each worker beats a heartbeat (PROCRASTINATE_WORKER_DEFAULTS); a job
    whose worker stopped beating for JOBS_STALLED_SECONDS (killed, machine lost) is retried,
    which our jobs survive because they are idempotent (connect_id.jobs)."""
    job_manager = context.app.job_manager
    stalled = await job_manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.JOBS_STALLED_SECONDS
    )
    for job in stalled:
        logger.warning("retrying job %s (%s) of a stalled worker", job.id, job.task_name)
        await job_manager.retry_job(job)


@app.periodic(cron="17 3 * * *")
@app.task(
    name="connect_id.remove_old_jobs",
    queueing_lock="connect_id.remove_old_jobs",
    pass_context=True,
)
async def remove_old_jobs(context: JobContext, timestamp: int) -> None:
    """Failed and cancelled jobs stay for inspection (admin, `procrastinate` shell) this long;
    succeeded jobs are deleted as they finish (delete_jobs=successful)."""
    await context.app.job_manager.delete_old_jobs(
        nb_hours=settings.JOBS_KEEP_FAILED_HOURS,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )
