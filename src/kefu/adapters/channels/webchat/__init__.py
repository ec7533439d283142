"""kefu.adapters.channels.webchat."""
