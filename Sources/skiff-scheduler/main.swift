// skiff-scheduler: the scheduler's executable; everything is in Sources/SkiffScheduler.
import SkiffCommandLine
import SkiffScheduler

await SchedulerCommand.executeAsRoot()
