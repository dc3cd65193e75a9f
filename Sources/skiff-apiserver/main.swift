// skiff-apiserver: the apiserver's executable; everything is in Sources/SkiffAPIServer.
import SkiffAPIServer
import SkiffCommandLine

await APIServerCommand.executeAsRoot()
