"""The turn machinery: events in, replies and outbox out; engine, context, scheduler, delivery."""
