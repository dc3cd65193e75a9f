// SkiffKubelet: placeholder until the kubelet lands.
