// GuestMemoryTests
