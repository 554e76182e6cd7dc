#!/bin/sh
# cuda/tools/ptxas-log.sh: CUDA_COMPILER_LAUNCHER of souk_cuda_kernels. Runs the nvcc command line it
# is given, saves its output (the -Xptxas -v resource report) as <logdir>/<object name>.log for
# scripts/cuda-resources.mjs, repeats the output on stderr and exits with nvcc's status.
# Usage: ptxas-log.sh <logdir> <nvcc> <args...>
logdir=$1
shift
obj=unnamed
prev=
for a in "$@"; do
  if [ "$prev" = "-o" ]; then obj=$a; fi
  prev=$a
done
name=$(basename "$obj")
mkdir -p "$logdir"
"$@" > "$logdir/$name.log" 2>&1
rc=$?
cat "$logdir/$name.log" >&2
exit $rc
