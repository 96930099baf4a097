"""Understanding: text to an Intent. Pure; no I/O beyond reading packaged data at start-up."""
