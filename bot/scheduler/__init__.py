"""The scheduler: rules → outbox → delivery (see `scheduler.py`, `worker.py`)."""

from bot.scheduler.log_delivery import LogDeliverer
from bot.scheduler.scheduler import PassReport, Scheduler
from bot.scheduler.worker import DeliveryReport, OutboxWorker

__all__ = ["DeliveryReport", "LogDeliverer", "OutboxWorker", "PassReport", "Scheduler"]
