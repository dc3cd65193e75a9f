// skiff-apiserver: the apiserver's executable; everything is in Sources/SkiffAPIServer.
import SkiffAPIServer

await APIServerCommand.execute()
