"""Scheduled and queued work on Huey: what is due, and the tasks that do it."""
