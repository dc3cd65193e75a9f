// skiffctl: the user's command-line tool; everything is in Sources/SkiffCtl.
import SkiffCtl

await SkiffctlCommand.execute()
