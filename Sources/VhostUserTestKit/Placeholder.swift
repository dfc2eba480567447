// VhostUserTestKit
