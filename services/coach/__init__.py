"""The shooter coach (AimTrack §5): AI reflections, weapon insights and answers, online or offline."""
