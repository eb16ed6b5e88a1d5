"""The CNN Training lab: a convolutional network learns its kernels from MNIST, live."""
