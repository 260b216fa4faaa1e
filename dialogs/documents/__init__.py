"""Documents people would rather read than a chat message: HTML, PDF and CSV."""
