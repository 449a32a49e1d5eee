# Shared settings for the build and test scripts (sourced).
# An offline copy of MNIST: a folder with the four official .gz files.  Beside a
# checkout of this workplace it is ../shared/data/MNIST/raw; elsewhere set it
# yourself, or leave it unset to let torchvision download MNIST.
if [ -z "${LENET_MNIST_DIR:-}" ] && [ -d ../shared/data/MNIST/raw ]; then
  export LENET_MNIST_DIR="$(cd ../shared/data/MNIST/raw && pwd)"
fi
export LENET_DATA_DIR="${LENET_DATA_DIR:-$PWD/data}"
export MPLBACKEND=Agg
