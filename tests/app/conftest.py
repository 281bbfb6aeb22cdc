"""Fixtures the application-service tests share with the rooms below them: the same libraries,
jobs and backed-up trees the backup and restore tests use."""

from tests.backup.conftest import job_services, job_services_with  # noqa: F401
from tests.restore.conftest import backed_up, lib_services, library_env, source  # noqa: F401
