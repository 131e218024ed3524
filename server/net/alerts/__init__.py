"""Alert delivery adapters (domain.md, unit status § alert delivery): e-mail over SMTP and
HTTP webhooks configured per alert target, the simulated delivery of the demo and the tests,
and acknowledgement by signed link. See docs/alerts.md."""

from server.net.alerts.ack import AckLinks, AckPage, load_secret
from server.net.alerts.config import ConfigError
from server.net.alerts.delivery import Acknowledge, AlertDelivery, Delivery, Report, target_configs
from server.net.alerts.simulated import SimulatedDelivery

__all__ = ["AckLinks", "AckPage", "Acknowledge", "AlertDelivery", "ConfigError", "Delivery", "Report",
           "SimulatedDelivery", "load_secret", "target_configs"]  # fmt: skip
