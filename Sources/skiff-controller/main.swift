// skiff-controller: runs one controller; everything is in Sources/SkiffControllers.
import SkiffCommandLine
import SkiffControllers

await ControllerCommand.executeAsRoot()
