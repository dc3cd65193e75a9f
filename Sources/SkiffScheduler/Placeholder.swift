// SkiffScheduler: placeholder until the scheduler lands.
