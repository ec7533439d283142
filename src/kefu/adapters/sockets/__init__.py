"""kefu.adapters.sockets."""
