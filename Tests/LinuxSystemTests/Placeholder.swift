// LinuxSystemTests
