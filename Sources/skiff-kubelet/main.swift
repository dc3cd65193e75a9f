// skiff-kubelet: the node agent's executable; everything is in Sources/SkiffKubelet.
import SkiffCommandLine
import SkiffKubelet

await KubeletCommand.executeAsRoot()
