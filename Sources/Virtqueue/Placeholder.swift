// Virtqueue
