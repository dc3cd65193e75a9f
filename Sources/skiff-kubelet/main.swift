print("skiff-kubelet: not yet")
