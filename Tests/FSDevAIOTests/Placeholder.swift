// FSDevAIOTests
