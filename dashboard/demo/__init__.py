"""Demo mode: a simulated district day on the wall (runner), the duty officers who
acknowledge its alerts (duty), and the generated history behind /trends (history)."""
