#!/usr/bin/python3
"""Peers for the fused top-K benchmark: numpy (GEMM + argpartition) and faiss IndexFlatIP.

Reads queries.f32 / items.f32 written by benchmarks/kernels/case.mjs, runs each peer with the
thread settings given, and prints one JSON line per run with its best time and its recall of
Souk's result (souk-indices.i32). Uses Debian's python3-numpy and python3-faiss.
"""
import json
import os
import sys
import time

d_dir, m, n, d, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
which = sys.argv[6]  # numpy | faiss
threads = int(sys.argv[7])

import numpy as np  # noqa: E402

q = np.fromfile(os.path.join(d_dir, "queries.f32"), dtype=np.float32).reshape(m, d)
items = np.fromfile(os.path.join(d_dir, "items.f32"), dtype=np.float32).reshape(n, d)
souk = np.fromfile(os.path.join(d_dir, "souk-indices.i32"), dtype=np.int32).reshape(m, k)


def recall(idx):
    hits = sum(len(set(idx[r].tolist()) & set(souk[r].tolist())) for r in range(m))
    return hits / float(m * k)


def best_of(fn, reps):
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


if which == "numpy":
    def run():
        s = q @ items.T
        part = np.argpartition(-s, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(s, part, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")
        return np.take_along_axis(part, order, axis=1)
    t, idx = best_of(run, 3)
else:
    import faiss  # noqa: E402
    faiss.omp_set_num_threads(threads)
    index = faiss.IndexFlatIP(d)
    index.add(items)
    def run():
        _, idx = index.search(q, k)
        return idx
    t, idx = best_of(run, 5)

print(json.dumps({"peer": which, "threads": threads, "seconds": t, "recall": recall(idx),
                  "omp": os.environ.get("OMP_NUM_THREADS"), "openblas": os.environ.get("OPENBLAS_NUM_THREADS")}))
