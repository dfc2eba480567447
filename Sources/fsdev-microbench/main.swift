print("fsdev-microbench: not yet")
