"""Settings and the center definition (queues, skills, agents, IVR, hours) with their validation."""
