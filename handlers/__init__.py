"""The channel-agnostic core of Privacy Desk: queue, clocks, profiles, audit, outbox."""
