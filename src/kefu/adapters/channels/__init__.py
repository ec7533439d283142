"""Channel adapters: real protocols (SMTP, signed HTTP webhooks) turned into calls on a small
port, :class:`kefu.adapters.channels.ports.InboundSink`, and replies sent back out.

Nothing is imported here so that importing one adapter does not load the others.
"""
