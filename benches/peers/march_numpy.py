#!/usr/bin/env python3
"""Vectorised numpy implementation of March (1991), "Exploration and
exploitation in organizational learning" -- closed-system model (no turnover,
no turbulence), used as a peer benchmark for ideaflow.

All R replicates of one parameter point are simulated together in arrays of
shape (R, n, m). Runs that reach equilibrium are removed from the active
arrays so they stop costing time.

Usage:
    python3 benches/peers/march_numpy.py --replicates 200 [--seed 1]
        [--p1 0.1 0.5 0.9] [--p2 0.1 0.5 0.9]
"""

import argparse
import sys
import time

import numpy as np

M = 30          # dimensions of reality
N = 50          # individuals
MAX_PERIODS = 2000


def run_point(p1, p2, replicates, rng, m=M, n=N, max_periods=MAX_PERIODS):
    """Simulate `replicates` independent runs at (p1, p2).

    Returns (scores, capped): scores is a float array of length `replicates`
    with the equilibrium code score (sum_d c_d r_d / m) of every run; capped
    is the number of runs that hit `max_periods` without reaching
    equilibrium (their score is taken at the cap).
    """
    R = replicates
    # reality in {-1,+1}^m
    reality = (rng.integers(0, 2, size=(R, m), dtype=np.int8) * 2 - 1).astype(np.int8)
    # code starts all zero
    code = np.zeros((R, m), dtype=np.int8)
    # beliefs uniform over {-1, 0, +1}
    beliefs = (rng.integers(0, 3, size=(R, n, m), dtype=np.int8) - 1).astype(np.int8)

    scores = np.empty(R, dtype=np.float64)
    ids = np.arange(R)            # original run index of each active row
    log_keep = np.log1p(-p2) if p2 < 1.0 else -np.inf   # log(1 - p2)

    period = 0
    while ids.size and period < max_periods:
        period += 1
        A = ids.size
        r3 = reality[:, None, :]                      # (A, 1, m)
        c3 = code[:, None, :]                         # (A, 1, m)

        # --- 2. act: belief where non-zero, fair coin otherwise
        coin = rng.integers(0, 2, size=(A, n, m), dtype=np.int8)
        coin = coin * 2 - 1
        acts = np.where(beliefs != 0, beliefs, coin).astype(np.int8)
        perf = np.einsum("anm,am->an", acts, reality, dtype=np.int32)   # (A, n)
        code_score = np.einsum("am,am->a", code, reality, dtype=np.int32)  # (A,)

        # --- 3. socialise toward the start-of-period code
        move = (c3 != 0) & (beliefs != c3)
        move &= rng.random(size=(A, n, m), dtype=np.float32) < p1
        # code is +-1 where it can attract, and b is strictly on the other
        # side, so one step toward the code is b += c.
        beliefs += move.astype(np.int8) * c3

        # --- 4. code learns from the superior group (their actions)
        superior = perf > code_score[:, None]          # (A, n)
        diff = np.einsum("anm,an->am", acts, superior.astype(np.int8),
                         dtype=np.int32)               # n+ - n-, (A, m)
        maj = np.sign(diff).astype(np.int8)
        k = np.abs(diff)
        p_adopt = -np.expm1(k * log_keep)              # 1 - (1 - p2)^k
        adopt = (maj != 0) & (code != maj)
        adopt &= rng.random(size=(A, m)) < p_adopt
        np.copyto(code, maj, where=adopt)

        # --- 5. equilibrium: all beliefs == code and code has no zeros
        done = np.all(code != 0, axis=1)
        if done.any():
            done &= np.all(beliefs == code[:, None, :], axis=(1, 2))
        if done.any():
            fin = np.einsum("am,am->a", code[done], reality[done], dtype=np.int32)
            scores[ids[done]] = fin / m
            keep = ~done
            ids = ids[keep]
            reality = reality[keep]
            code = code[keep]
            beliefs = beliefs[keep]

    capped = ids.size
    if capped:
        fin = np.einsum("am,am->a", code, reality, dtype=np.int32)
        scores[ids] = fin / m
    return scores, capped


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicates", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--p1", type=float, nargs="+",
                    default=[round(0.1 * i, 1) for i in range(1, 10)])
    ap.add_argument("--p2", type=float, nargs="+", default=[0.1, 0.5, 0.9])
    args = ap.parse_args(argv)

    points = [(p2, p1) for p2 in args.p2 for p1 in args.p1]
    children = np.random.SeedSequence(args.seed).spawn(len(points))

    results = []
    total_capped = 0
    t0 = time.perf_counter()
    for (p2, p1), ss in zip(points, children):
        rng = np.random.default_rng(ss)
        scores, capped = run_point(p1, p2, args.replicates, rng)
        total_capped += capped
        results.append((p2, p1, scores.mean(), scores.std(ddof=1) if scores.size > 1 else 0.0))
    elapsed = time.perf_counter() - t0

    print("p2\tp1\tmean_code_score\tsd")
    for p2, p1, mean, sd in results:
        print(f"{p2:.1f}\t{p1:.1f}\t{mean:.4f}\t{sd:.4f}")
    if total_capped:
        print(f"capped_runs={total_capped}", file=sys.stderr)
    print(f"runs={len(points) * args.replicates}")
    print(f"peer_seconds={elapsed:.3f}")


if __name__ == "__main__":
    main()
