"""Edge adapters, one module per messaging provider; the shared contract is in `contract`."""

from channels.contract import ChannelName, Choice, Delivery, Inbound, Outbound, Sender, SendOutcome

__all__ = ["ChannelName", "Choice", "Delivery", "Inbound", "Outbound", "SendOutcome", "Sender"]
