print("skiff-scheduler: not yet")
