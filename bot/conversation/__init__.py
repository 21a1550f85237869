"""The citizen side: survey turns, invitations, the channels' desks, the outbox drain, timers, alerts and follow-ups."""
