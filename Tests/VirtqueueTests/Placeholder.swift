// VirtqueueTests
