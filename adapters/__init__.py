"""Platform adapters: they import ``bot``; ``bot`` never imports them."""
