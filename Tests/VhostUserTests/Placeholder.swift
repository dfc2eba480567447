// VhostUserTests
