"""Mail: the yagmail adapter (one message in, exactly what happened out) and message rendering."""
