#!/usr/bin/env python3
"""Bass diffusion on a Watts-Strogatz small world, written as an ordinary
Mesa 3.x model (peer benchmark for ideaflow).

N agents sit on the nodes of a Watts-Strogatz graph (ring lattice, degree
k=10, rewiring probability 0.1). Each step is dt=0.1 years. Updates are
synchronous: every non-adopter decides from the state at the start of the
step (Agent.step), and all decisions are committed afterwards
(Agent.advance). A non-adopter i adopts with probability
    1 - exp(-(p + q * A_i / K_i) * dt),
p=0.03, q=0.38, A_i = adopted neighbours, K_i = degree.

Usage:
    python3 benches/peers/bass_mesa.py --agents 20000 --steps 50 --seed 1
"""

import argparse
import math
import time

import mesa
import networkx as nx
from mesa.discrete_space import FixedAgent, Network

K_DEGREE = 10
REWIRE = 0.1
DT = 0.1
P = 0.03
Q = 0.38


class Consumer(FixedAgent):
    """One potential adopter, fixed to one node of the network."""

    def __init__(self, model, cell):
        super().__init__(model)
        self.cell = cell
        self.adopted = False
        self._next_adopted = False
        self.neighbours = []     # filled in once the whole network is populated

    def step(self):
        """Decide (using start-of-step state) whether to adopt this step."""
        if self.adopted:
            self._next_adopted = True
            return
        k = len(self.neighbours)
        a = 0
        for other in self.neighbours:
            if other.adopted:
                a += 1
        hazard = self.model.p + (self.model.q * a / k if k else 0.0)
        prob = 1.0 - math.exp(-hazard * self.model.dt)
        self._next_adopted = self.random.random() < prob

    def advance(self):
        """Commit the decision made in step()."""
        self.adopted = self._next_adopted


class BassModel(mesa.Model):
    def __init__(self, n_agents, seed=None, k=K_DEGREE, rewire=REWIRE,
                 p=P, q=Q, dt=DT):
        super().__init__(seed=seed)
        self.p, self.q, self.dt = p, q, dt
        graph = nx.watts_strogatz_graph(n_agents, k, rewire, seed=seed)
        self.grid = Network(graph, capacity=1, random=self.random)
        for cell in self.grid.all_cells:
            Consumer(self, cell)
        # The network is static, so each agent looks up its neighbours once.
        for agent in self.agents:
            agent.neighbours = list(agent.cell.neighborhood.agents)

    def step(self):
        self.agents.do("step")
        self.agents.do("advance")

    def adoption_fraction(self):
        return sum(1 for a in self.agents if a.adopted) / len(self.agents)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    model = BassModel(args.agents, seed=args.seed)

    t0 = time.perf_counter()
    for _ in range(args.steps):
        model.step()
    elapsed = time.perf_counter() - t0

    print(f"adoption_fraction={model.adoption_fraction():.6f}")
    print(f"peer_seconds={elapsed:.6f}")
    print(f"agent_steps={args.agents * args.steps}")


if __name__ == "__main__":
    main()
