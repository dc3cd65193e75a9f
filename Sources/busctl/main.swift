// busctl: the bus inspector's executable; everything is in Sources/Busctl.
import Busctl

await BusctlCommand.execute()
