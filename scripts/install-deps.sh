#!/usr/bin/env bash
# Installs what flyt needs to build, test and analyse, from Debian's
# packages only. Works as root or through sudo.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config git help2man \
  libgsl-dev libconfig-dev libhdf5-dev zlib1g-dev libcmocka-dev libcsv-dev libxlsxwriter-dev nettle-dev \
  hdf5-tools python3 python3-h5py python3-numpy python3-matplotlib chromium \
  libopenmpi-dev openmpi-bin \
  slurm-wlm munge \
  clang-format clang clang-tidy cppcheck >/dev/null
echo "install-deps: done"
