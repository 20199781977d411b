"""The emulated Podio: its API and OAuth over HTTP (`app`), and the world they read and change."""
