// skiff-proxy: the per-node service proxy; everything is in Sources/SkiffProxy.
import SkiffCommandLine
import SkiffProxy

await ProxyCommand.executeAsRoot()
